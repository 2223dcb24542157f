"""Issue 11's first defect, in Chromium: a person starts at `/`, signs in, and reaches every page
of the left menu by clicking visible links only (the cluster's name, then the menu), never by
typing a URL. The pages under these (Create, Details, YAML, Delete, recipes, the forms of
namespaces and workloads) are reached by clicking in test_axe.py and the other stories."""

from __future__ import annotations

import re
from typing import Any

from tests.e2e.conftest import heading, menu, sign_in


def visit(page: Any, entry: str, title: str, url: str) -> None:
    """Click ``entry`` of the left menu: the page titled ``title`` at ``url``, marked current."""
    menu(page).get_by_role("link", name=entry, exact=True).click()
    heading(page, title)
    page.wait_for_url(re.compile(url))
    assert menu(page).get_by_role("link", name=entry, exact=True).get_attribute("aria-current") == "page"


def test_from_the_front_door_to_every_page_by_clicking(browser: Any, console_url: str) -> None:
    page = sign_in(browser, console_url)
    try:
        assert menu(page).get_by_role("link", name="Clusters").get_attribute("aria-current") == "page"

        page.get_by_role("table").get_by_role("link", name="sandbox").click()
        heading(page, "Network Policies")
        page.wait_for_url(re.compile(r"/clusters/sandbox/networkpolicies"))
        assert menu(page).get_by_role("link", name="Network Policies").get_attribute("aria-current") == "page"

        visit(page, "Overview", "Overview", r"/clusters/sandbox/overview$")
        visit(page, "Namespaces", "Namespaces", r"/clusters/sandbox/namespaces$")
        visit(page, "Workloads", "Workloads", r"/clusters/sandbox/workloads")
        visit(page, "Connectivity", "Connectivity", r"/clusters/sandbox/connectivity")
        visit(page, "Whitelist", "Quota Center: Whitelist", r"/whitelist\?cluster=sandbox")
        visit(page, "Audit log", "Audit log", r"/audit\?cluster=sandbox")

        # Filtered by the cluster, the audit log keeps the cluster's menu: back to its policies.
        visit(page, "Network Policies", "Network Policies", r"/clusters/sandbox/networkpolicies")

        # The console's own pages, from the menu and from the top bar.
        visit(page, "My account", "My account", r"/account$")
        visit(page, "Users", "Users", r"/admin/users$")
        visit(page, "Settings", "Settings", r"/admin/settings$")
        page.get_by_role("banner").get_by_role("link", name="My account").click()
        heading(page, "My account")
        page.get_by_role("banner").get_by_role("link", name="Administration").click()
        heading(page, "Users")

        visit(page, "Clusters", "Clusters", r"/$")
        assert page.get_by_role("table").get_by_role("link", name="sandbox").is_visible()
    finally:
        page.context.close()
