"""Issue 12's namespaces, in Chromium: from `/`, by visible labels only, a person reaches
Namespaces, creates test-np with a label, changes that label and is told first which policy stops
selecting the namespace, then deletes it by typing its name.

The story needs a cluster where test-np does not exist yet (the shared e2e sandbox is seeded with
it), so it runs on a sandbox of its own, unseeded, holding one policy in `default` that admits
namespaces labelled team=np."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import SandboxProcess
from tests.e2e.conftest import ConsoleProcess, heading, menu, open_cluster, sign_in
from tests.e2e.test_axe import Audit

POLICY = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "NetworkPolicy",
    "metadata": {"name": "from-team-np", "namespace": "default"},
    "spec": {"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "np"}}}]}]},
}


@pytest.fixture(scope="module")
def console_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    sandbox = SandboxProcess(tmp_path_factory.mktemp("ns-story") / "sandbox", seed=False)
    sandbox.start()
    try:
        with sandbox.http() as kube:
            kube.post("/apis/networking.k8s.io/v1/namespaces/default/networkpolicies", json=POLICY).raise_for_status()
        console = ConsoleProcess(sandbox.data_dir.parent / "console", sandbox.kubeconfig_path)
        console.start()
        try:
            yield console.url
        finally:
            console.stop()
    finally:
        sandbox.stop()


def status(page: Any, text: str) -> None:
    page.get_by_role("status").filter(has_text=text).wait_for()


def test_create_relabel_and_delete_a_namespace_by_clicking(browser: Any, console_url: str) -> None:
    page = sign_in(browser, console_url, timeout=15_000)
    audit = Audit(page, "en")  # axe-core on each state: no serious or critical violation
    try:
        open_cluster(page)
        menu(page).get_by_role("link", name="Namespaces").click()
        heading(page, "Namespaces")
        page.wait_for_url(re.compile(r"/clusters/sandbox/namespaces$"))
        audit("namespaces list")

        page.get_by_role("link", name="Create", exact=True).click()
        heading(page, "Create namespace")
        page.get_by_label("Name", exact=True).fill("Test_NP")
        page.get_by_label("Label key").fill("team")
        page.get_by_label("Value", exact=True).fill("np")
        page.get_by_role("button", name="Create", exact=True).click()
        page.get_by_role("alert").get_by_role("link", name=re.compile("^Name:")).wait_for()
        assert page.get_by_label("Value", exact=True).input_value() == "np", "the input is kept"
        audit("create namespace with errors")
        page.get_by_label("Name", exact=True).fill("test-np")
        page.get_by_role("button", name="Create", exact=True).click()
        heading(page, "Namespaces")
        status(page, "Namespace test-np was created.")
        row = page.get_by_role("row").filter(has=page.get_by_role("link", name="test-np", exact=True))
        row.get_by_text("team=np").wait_for()

        row.get_by_role("link", name="Edit labels").click()
        heading(page, "Edit labels of namespace test-np")
        page.get_by_label("Value", exact=True).fill("other")
        page.get_by_role("button", name="Review").click()
        warning = page.get_by_role("status").filter(has_text="These policies stop selecting this namespace")
        warning.get_by_role("link", name="default/from-team-np").wait_for()
        audit("edit labels with the policies warning")
        page.get_by_role("button", name="Apply").click()
        heading(page, "Namespaces")
        status(page, "The labels of namespace test-np were changed.")
        row.get_by_text("team=other").wait_for()

        row.get_by_role("link", name="Delete").click()
        heading(page, "Delete namespace test-np?")
        audit("delete namespace confirmation")
        page.get_by_label("Type test-np to confirm").fill("test-np")
        page.get_by_role("button", name="Delete", exact=True).click()
        heading(page, "Namespaces")
        status(page, "Namespace test-np is being deleted.")
        audit("namespaces list after a deletion")
    finally:
        page.context.close()
    assert not audit.found, "\n".join(audit.found)
