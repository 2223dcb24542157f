"""Issue 5's "Done when", in Chromium: the admin creates a user through the admin page, the user
signs in and finds the Network Policies page read-only, applies in the Quota Center, the admin
(team platform, so not their own application) approves, and the user then creates a policy in the
browser, which is read back from the sandbox with kubernetes_asyncio.

The e2e console is shared by the whole session, so the user, their team (``app-team-…``) and the
namespace are this test's own."""

from __future__ import annotations

import uuid
from typing import Any

from kubernetes_asyncio.client import CoreV1Api
from kubernetes_asyncio.config import new_client_from_config

from tests.conftest import SandboxProcess
from tests.e2e.conftest import menu, open_cluster, open_policies, run_async, sign_in
from tests.e2e.test_scenarios import next_then_ok, open_create, panel, read_policy


def make_namespace(sandbox: SandboxProcess, name: str) -> None:
    async def create() -> None:
        api = await new_client_from_config(config_file=str(sandbox.kubeconfig_path))
        async with api:
            await CoreV1Api(api).create_namespace({"metadata": {"name": name}})

    run_async(create)


def test_a_new_user_applies_gets_approved_and_creates_a_policy(
    page: Any, browser: Any, console_url: str, e2e_sandbox: SandboxProcess
) -> None:
    suffix = uuid.uuid4().hex[:6]
    username, team, password = f"dev-{suffix}", f"app-team-{suffix}", f"dev-password-{suffix}"
    namespace, policy = f"story-{suffix}", f"story-web-{suffix}"
    make_namespace(e2e_sandbox, namespace)

    # The admin creates the user on the admin page.
    admin = page
    admin.get_by_role("link", name="Administration").click()
    admin.get_by_role("heading", name="Users", exact=True).wait_for()
    form = admin.get_by_role("region", name="Create user")
    form.get_by_label("Username").fill(username)
    form.get_by_label("Display name").fill("Dev of the story")
    form.get_by_label("Team").fill(team)
    form.get_by_label("viewer", exact=True).uncheck()
    form.get_by_label("operator", exact=True).check()
    form.get_by_label("Password").fill(password)
    form.get_by_role("button", name="Create user").click()
    admin.get_by_text("User created").wait_for()
    row = admin.locator(f"#user-{username}")
    assert team in row.inner_text() and "operator" in row.inner_text()

    # The user signs in: the Network Policies page is read-only, with a way to apply.
    user = sign_in(browser, console_url, username, password)
    try:
        open_policies(user, namespace)
        assert "Read-only." in user.locator("main").inner_text()
        assert user.get_by_role("link", name="Create", exact=True).count() == 0
        user.get_by_role("link", name="Apply in the Quota Center").click()
        apply = user.get_by_role("region", name="Apply for console editing")
        apply.get_by_label("Cluster").select_option("sandbox")
        apply.get_by_label("Reason").fill("Our team runs the web tier and needs its policies.")
        apply.get_by_role("button", name="Apply").click()
        mine = user.locator("tr", has_text=team)
        mine.wait_for()
        assert "Pending" in mine.inner_text() and username in mine.inner_text()

        # The admin (team platform, not the requester) approves it.
        open_cluster(admin)
        menu(admin).get_by_role("link", name="Whitelist").click()
        pending = admin.locator("tr", has_text=team)
        pending.get_by_label("Comment").fill("welcome")
        pending.get_by_role("button", name="Approve").click()
        admin.locator("tr", has_text=team).get_by_text("Approved").wait_for()

        # The user now creates a policy in the browser: Create, Name, Next, OK.
        open_create(user, namespace)
        panel(user).get_by_label("Name", exact=True).fill(policy)
        next_then_ok(user)
        user.get_by_role("cell", name=policy, exact=True).wait_for()
        assert "Read-only." not in user.locator("main").inner_text()
    finally:
        user.context.close()

    stored = read_policy(e2e_sandbox, namespace, policy)
    assert stored["metadata"]["name"] == policy and stored["spec"] == {
        "podSelector": {},
        "policyTypes": ["Ingress"],
    }
