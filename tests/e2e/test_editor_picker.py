"""The Create panel in the browser as issue 11's page points ask: it opens over the list, and the
workload picker opens from "+ Select Workload And Add Label" and closes after OK or Cancel, with
focus where the next step is."""

from __future__ import annotations

from typing import Any

from tests.e2e.test_scenarios import click, open_create, open_picker, panel, section


def test_the_panel_opens_over_the_list_of_its_namespace(page: Any) -> None:
    open_create(page, "default")
    assert page.url.endswith("/clusters/sandbox/networkpolicies/new?namespace=default")
    table = page.get_by_role("table", name="Network Policies")
    assert table.is_visible(), "the list stays behind the panel"
    assert page.get_by_label("Namespace", exact=True).first.input_value() == "default"
    assert panel(page).is_visible()


def test_the_picker_opens_from_its_button_and_closes_after_cancel_or_ok(page: Any) -> None:
    open_create(page, "default")
    pod_selector = section(page, "Pod Selector")
    assert pod_selector.get_by_role("group", name="+ Select Workload And Add Label").count() == 0
    assert pod_selector.get_by_label("Workload").count() == 0, "closed until asked for"

    picker = open_picker(page, pod_selector)
    assert page.evaluate("document.activeElement.name") == "pick.podSelector.type"
    assert picker.get_by_label("Type").locator("option").first.inner_text() == "All"
    click(page, picker.get_by_role("button", name="Cancel", exact=True))
    assert pod_selector.get_by_role("group", name="+ Select Workload And Add Label").count() == 0
    assert pod_selector.get_by_label("Label key").count() == 0, "Cancel adds nothing"
    assert page.evaluate("document.activeElement.value") == "pick-open:podSelector"

    picker = open_picker(page, pod_selector)
    click(page, picker.get_by_role("button", name="OK", exact=True))
    assert pod_selector.get_by_role("group", name="+ Select Workload And Add Label").count() == 0
    assert pod_selector.get_by_label("Label key").count() == 1
    assert page.evaluate("document.activeElement.name") == "podSelector.labels[0].key"
