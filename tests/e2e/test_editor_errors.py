"""Bad input and concurrent edits in the browser: errors at their fields with all input kept, and
a stale edit shown as a conflict that overwrites nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kubernetes_asyncio.client import ApiClient, NetworkingV1Api
from kubernetes_asyncio.config import new_client_from_config

from tests.conftest import SandboxProcess
from tests.e2e.conftest import run_async
from tests.e2e.test_scenarios import (
    add_peer,
    add_port,
    add_rule,
    click,
    open_create,
    open_edit,
    panel,
    read_policy,
    section,
    settle,
)

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_an_invalid_cidr_is_shown_at_its_field_and_input_is_kept(page: Any) -> None:
    open_create(page, "default")
    panel(page).get_by_label("Name", exact=True).fill("bad-cidr")
    rule = add_rule(page, "Source")
    add_peer(page, rule, "ipBlock").get_by_label("cidr").fill("10.0.0.0/33")
    rule = section(page, "Source").get_by_role("group", name="Source rule 1", exact=True)
    add_port(page, rule, "TCP", "8080")
    click(page, panel(page).get_by_role("button", name="Next"))

    cidr = section(page, "Source").get_by_label("cidr")
    assert cidr.input_value() == "10.0.0.0/33"
    assert cidr.get_attribute("aria-invalid") == "true"
    error_id = cidr.get_attribute("aria-describedby")
    assert "must be a valid CIDR value" in page.locator(f"#{error_id}").inner_text()
    summary = panel(page).get_by_role("alert").filter(has_text="The policy is not valid")
    # Where, in the page's words; the Kubernetes field path after it in small print.
    words = summary.get_by_role("link").first.inner_text()
    assert words.startswith("Source rule 1 › ipBlock › cidr: ") and "must be a valid CIDR" in words
    assert summary.locator("small.field-path").first.inner_text() == "spec.ingress[0].from[0].ipBlock.cidr"
    # Everything else typed is still there.
    assert panel(page).get_by_label("Name", exact=True).input_value() == "bad-cidr"
    assert section(page, "Source").get_by_label("Port", exact=True).input_value() == "8080"
    # The summary links to the field, and following the link puts focus in it.
    link = summary.get_by_role("link").first
    assert link.get_attribute("href") == f"#{cidr.get_attribute('id')}"
    page.mouse.wheel(0, -5000)  # the summary at the top, the field further down
    link.click()
    assert page.evaluate("document.activeElement.id") == cidr.get_attribute("id")
    box, height = cidr.bounding_box(), page.viewport_size["height"]
    assert box and 0 <= box["y"] and box["y"] + box["height"] <= height, "scrolled into view"


def test_a_concurrent_edit_is_a_conflict_and_overwrites_nothing(page: Any, e2e_sandbox: SandboxProcess) -> None:
    async def create_then(change: bool) -> None:
        api: ApiClient = await new_client_from_config(config_file=str(e2e_sandbox.kubeconfig_path))
        async with api:
            net = NetworkingV1Api(api)
            if not change:
                await net.create_namespaced_network_policy(
                    "default",
                    {"metadata": {"name": "conflict-demo"}, "spec": {"podSelector": {"matchLabels": {"app": "nginx"}}}},
                )
            else:
                await net.patch_namespaced_network_policy(
                    "conflict-demo", "default", {"metadata": {"labels": {"changed-by": "kubectl"}}}
                )

    run_async(lambda: create_then(False))
    open_edit(page, "default", "conflict-demo")
    run_async(lambda: create_then(True))  # someone else changes it meanwhile

    rule = add_rule(page, "Source")
    add_port(page, rule, "TCP", "80")
    click(page, panel(page).get_by_role("button", name="Next"))

    alert = panel(page).get_by_role("alert").filter(has_text="Someone changed this policy")
    assert alert.is_visible()
    assert "Nothing was overwritten" in alert.inner_text()
    assert alert.get_by_role("link", name="Reload").is_visible()
    assert "yours (spec)" in alert.inner_text()
    stored = read_policy(e2e_sandbox, "default", "conflict-demo")
    assert stored["metadata"]["labels"] == {"changed-by": "kubectl"}
    assert "ingress" not in stored["spec"]

    # Reload edits the current version; applying it then works.
    alert.get_by_role("link", name="Reload").click()
    rule = add_rule(page, "Source")
    add_port(page, rule, "TCP", "80")
    click(page, panel(page).get_by_role("button", name="Next"))
    with page.expect_navigation():
        panel(page).get_by_role("button", name="OK").click()
    stored = read_policy(e2e_sandbox, "default", "conflict-demo")
    assert stored["metadata"]["labels"] == {"changed-by": "kubectl"}
    assert stored["spec"]["ingress"] == [{"ports": [{"protocol": "TCP", "port": 80}]}]


def test_the_pods_selected_preview_follows_the_labels_as_typed(page: Any) -> None:
    open_create(page, "default")
    pod_selector = section(page, "Pod Selector")
    assert pod_selector.get_by_role("status").inner_text().startswith("3 pods selected")  # nginx, busybox, eni-client
    click(page, pod_selector.get_by_role("button", name="+ Add label"))
    pod_selector = section(page, "Pod Selector")
    pod_selector.get_by_label("Label key").fill("app")
    with page.expect_response(lambda r: r.url.endswith("/editor/preview")):
        pod_selector.get_by_label("Value", exact=True).fill("busybox")
        pod_selector.get_by_label("Value", exact=True).blur()
    settle(page)
    status = section(page, "Pod Selector").get_by_role("status")
    assert status.inner_text().startswith("1 pod selected")
    assert "busybox-" in section(page, "Pod Selector").locator("#pods-preview").inner_text()
