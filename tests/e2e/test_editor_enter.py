"""Enter in a text field of the Create panel means Next (the browser's implicit submission uses the
form's first submit button; before the fix that was the picker's "Add label", now its OK)."""

from __future__ import annotations

from typing import Any

from tests.e2e.test_scenarios import add_peer, add_rule, open_create, open_picker, panel, section, settle


def press_enter(page: Any, field: Any) -> None:
    with page.expect_response(lambda r: "/networkpolicies/editor" in r.url):
        field.press("Enter")
    settle(page)


def label_rows(page: Any) -> int:
    return int(section(page, "Pod Selector").get_by_label("Label key").count())


def test_enter_in_the_name_field_goes_to_the_review(page: Any) -> None:
    open_create(page, "default")
    # The open picker offers a label: an implicit OK would have added it.
    picker = open_picker(page, section(page, "Pod Selector"))
    assert picker.get_by_label("Label").input_value() != ""
    assert label_rows(page) == 0

    name = panel(page).get_by_label("Name", exact=True)
    name.fill("enter-goes-next")
    press_enter(page, name)

    assert panel(page).get_by_role("heading", name="Review").is_visible()
    assert "name: enter-goes-next" in panel(page).get_by_label("YAML").inner_text()
    assert "podSelector: {}" in panel(page).get_by_label("YAML").inner_text()


def test_enter_in_a_cidr_field_validates_and_adds_no_label(page: Any) -> None:
    open_create(page, "default")
    panel(page).get_by_label("Name", exact=True).fill("enter-in-cidr")
    rule = add_rule(page, "Source")
    cidr = add_peer(page, rule, "ipBlock").get_by_label("cidr")
    cidr.fill("10.0.0.0/33")
    press_enter(page, cidr)

    cidr = section(page, "Source").get_by_label("cidr")
    assert cidr.get_attribute("aria-invalid") == "true" and cidr.input_value() == "10.0.0.0/33"
    assert label_rows(page) == 0
    # The default button is not something a keyboard or a screen reader meets.
    assert panel(page).get_by_role("button", name="Next").count() == 1
    hidden = panel(page).locator("button.implicit-submit")
    assert hidden.get_attribute("tabindex") == "-1" and hidden.get_attribute("aria-hidden") == "true"
