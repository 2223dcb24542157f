"""The console from the keyboard alone: sign in at `/`, reach the Create panel and build scenario 1
(restrict access to pods with a label) with Tab, Enter and the arrow keys, with focus following
each step (static/js/console.js) instead of falling back to <body>."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.conftest import SandboxProcess
from tests.e2e.conftest import ADMIN_PASSWORD
from tests.e2e.test_scenarios import open_create, read_policy, settle

Focused = dict[str, str]

FOCUSED = """() => {
  const el = document.activeElement;
  const label = el.labels && el.labels.length ? el.labels[0].textContent : el.getAttribute('aria-label');
  return {
    id: el.id, tag: el.tagName.toLowerCase(), name: el.getAttribute('name') || '', value: el.value ?? '',
    text: (el.textContent || '').replace(/\\s+/g, ' ').trim(), label: (label || '').trim(),
    href: el.getAttribute('href') || '',
  };
}"""


def focused(page: Any) -> Focused:
    return page.evaluate(FOCUSED)  # type: ignore[no-any-return]


def tab_to(page: Any, wanted: Callable[[Focused], bool], what: str, limit: int = 80) -> Focused:
    """Press Tab until the focused element is the one wanted."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        if wanted(now):
            return now
    raise AssertionError(f"Tab never reached {what}; focus is on {focused(page)}")


def op(value: str) -> Callable[[Focused], bool]:
    """The panel's button that posts op=<value>."""
    return lambda f: f["name"] == "op" and f["value"] == value


def press_in_panel(page: Any, key: str) -> None:
    """A key that makes the panel post (a button, a select that re-renders it); wait for the swap."""
    with page.expect_response(lambda r: r.url.endswith("/networkpolicies/editor")):
        page.keyboard.press(key)
    settle(page)


def test_scenario_1_from_the_keyboard_alone(browser: Any, console_url: str, e2e_sandbox: SandboxProcess) -> None:
    context = browser.new_context(base_url=console_url, viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto("/")
        page.wait_for_url("**/login**")
        assert focused(page)["name"] == "username"  # autofocus
        page.keyboard.type("admin")
        page.keyboard.press("Tab")
        page.keyboard.type(ADMIN_PASSWORD)
        with page.expect_navigation():
            page.keyboard.press("Enter")

        tab_to(page, lambda f: f["tag"] == "a" and f["text"] == "sandbox", "the cluster's link")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        tab_to(page, lambda f: f["tag"] == "a" and f["text"] == "Create", "Create")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.get_by_role("dialog").wait_for()
        assert focused(page)["id"] == "panel-title"  # the panel takes focus when it opens

        # Next with nothing filled in: focus goes to the error summary; its link to the field.
        tab_to(page, lambda f: f["tag"] == "button" and f["text"] == "Next", "Next")
        press_in_panel(page, "Enter")
        assert focused(page)["id"] == "error-summary"
        link = tab_to(page, lambda f: f["tag"] == "a", "the summary's first link")
        page.keyboard.press("Enter")
        assert focused(page)["id"] == link["href"].removeprefix("#") == "f-name"
        page.keyboard.type("keyboard-nginx")

        # Pod Selector from the workload picker: it opens with focus on its Type; Deployment
        # nginx (after busybox and the demo's eni-client), app=nginx; OK closes it with focus on the
        # label it added.
        tab_to(page, op("pick-open:podSelector"), "+ Select Workload And Add Label")
        press_in_panel(page, "Enter")
        assert (focused(page)["label"], focused(page)["value"]) == ("Type", "deployments")
        tab_to(page, lambda f: f["label"] == "Workload", "the Workload select")
        assert focused(page)["value"] == "busybox"
        press_in_panel(page, "ArrowDown")
        assert focused(page)["label"] == "Workload" and focused(page)["value"] == "eni-client"
        press_in_panel(page, "ArrowDown")
        assert focused(page)["label"] == "Workload" and focused(page)["value"] == "nginx"
        tab_to(page, op("pick:podSelector"), "the picker's OK")
        press_in_panel(page, "Enter")
        label = focused(page)
        assert (label["id"], label["value"]) == ("f-podSelector-labels-0--key", "app")  # the label it added
        assert page.get_by_role("group", name="+ Select Workload And Add Label").count() == 0

        # Source rule 1: a podSelector peer with access=true.
        tab_to(page, op("add:ingress.rules"), "+ Add Source rule")
        press_in_panel(page, "Enter")
        assert focused(page)["value"] == "add:ingress[0].peers"  # the new rule's "+ Add Rule"
        press_in_panel(page, "Enter")
        peer = focused(page)
        assert (peer["name"], peer["value"]) == ("ingress[0].peers[0].kind", "pod")  # the new peer's Selector
        tab_to(page, op("add:ingress[0].peers[0].podSelector.labels"), "the peer's + Add label")
        press_in_panel(page, "Enter")
        assert focused(page)["name"] == "ingress[0].peers[0].podSelector.labels[0].key"
        page.keyboard.type("access")
        page.keyboard.press("Tab")
        page.keyboard.type("true")

        # A port added, then removed: focus goes to its row, then back to "+ Add Port".
        tab_to(page, op("add:ingress[0].ports"), "+ Add Port")
        press_in_panel(page, "Enter")
        assert focused(page)["name"] == "ingress[0].ports[0].protocol"
        tab_to(page, op("remove:ingress[0].ports[0]"), "the port's Remove")
        press_in_panel(page, "Enter")
        assert focused(page)["value"] == "add:ingress[0].ports"

        tab_to(page, lambda f: f["tag"] == "button" and f["text"] == "Next", "Next")
        press_in_panel(page, "Enter")
        assert focused(page)["id"] == "review-title"
        tab_to(page, lambda f: f["tag"] == "button" and f["text"] == "OK", "OK")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.get_by_role("cell", name="keyboard-nginx", exact=True).wait_for()
    finally:
        context.close()

    assert read_policy(e2e_sandbox, "default", "keyboard-nginx")["spec"] == {
        "podSelector": {"matchLabels": {"app": "nginx"}},
        "ingress": [{"from": [{"podSelector": {"matchLabels": {"access": "true"}}}]}],
        "policyTypes": ["Ingress"],
    }


def test_escape_closes_the_panel_as_cancel_does(page: Any) -> None:
    open_create(page, "test-np")
    assert focused(page)["id"] == "panel-title"
    with page.expect_navigation():
        page.keyboard.press("Escape")
    assert page.url.endswith("/clusters/sandbox/networkpolicies?namespace=test-np")
    assert page.get_by_role("dialog").count() == 0
