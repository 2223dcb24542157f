"""Issue 11's first defect, in Chromium: a person starts at `/`, signs in, and reaches every page
of the console by clicking visible links only (the cluster's name, then the left navigation),
never by typing a URL."""

from __future__ import annotations

import re
from typing import Any

from tests.e2e.conftest import ADMIN_PASSWORD


def heading(page: Any, name: str) -> None:
    page.get_by_role("heading", level=1, name=name, exact=True).wait_for()


def menu(page: Any) -> Any:
    return page.get_by_role("navigation", name="Menu")


def test_from_the_front_door_to_every_page_by_clicking(browser: Any, console_url: str) -> None:
    context = browser.new_context(base_url=console_url, viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto("/")
        page.get_by_label("Username").fill("admin")
        page.get_by_label("Password").fill(ADMIN_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        heading(page, "Clusters")
        assert menu(page).get_by_role("link", name="Clusters").get_attribute("aria-current") == "page"

        page.get_by_role("table").get_by_role("link", name="sandbox").click()
        heading(page, "Network Policies")
        page.wait_for_url(re.compile(r"/clusters/sandbox/networkpolicies"))
        assert menu(page).get_by_role("link", name="Network Policies").get_attribute("aria-current") == "page"

        menu(page).get_by_role("link", name="Workloads").click()
        heading(page, "Workloads")
        page.wait_for_url(re.compile(r"/clusters/sandbox/workloads"))

        menu(page).get_by_role("link", name="Connectivity").click()
        heading(page, "Connectivity")
        page.wait_for_url(re.compile(r"/clusters/sandbox/connectivity"))

        menu(page).get_by_role("link", name="Whitelist").click()
        heading(page, "Quota Center: Whitelist")
        page.wait_for_url(re.compile(r"/whitelist\?cluster=sandbox"))

        menu(page).get_by_role("link", name="Audit log").click()
        heading(page, "Audit log")
        page.wait_for_url(re.compile(r"/audit\?cluster=sandbox"))

        # Filtered by the cluster, the audit log keeps the cluster's menu: back to its policies.
        menu(page).get_by_role("link", name="Network Policies").click()
        heading(page, "Network Policies")

        menu(page).get_by_role("link", name="Clusters").click()
        heading(page, "Clusters")
        assert page.get_by_role("table").get_by_role("link", name="sandbox").is_visible()
    finally:
        context.close()
