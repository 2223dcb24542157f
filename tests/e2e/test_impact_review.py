"""The impact before apply, in Chromium from `/` by visible labels: the reference's example
application made in the console (nginx on port 80 behind a Service, busybox), then scenario 1's
access-nginx in the Create panel, whose review lists busybox → nginx:80 as newly denied before OK
is pressed; then busybox's "Edit labels" adding access=true, whose review lists busybox → nginx:80
as newly allowed before Apply is pressed."""

from __future__ import annotations

import re
import uuid
from typing import Any

from tests.e2e.conftest import sign_in
from tests.e2e.test_reference_story import (
    back_to_workloads,
    fill_access_nginx,
    no_audit,
    review_busybox_with_access,
    running_pod,
)
from tests.e2e.test_scenarios import click, panel
from tests.e2e.test_workloads_story import prepare_example_application


def changed(scope: Any, kind: str, flow: str) -> Any:
    """The group ``flow`` (``src → dst:port``) in the review's list of ``kind`` (Newly denied,
    Newly allowed)."""
    listed = scope.get_by_role("list", name=re.compile(rf"^{kind} \(\d+\)$"))
    return listed.get_by_role("listitem").filter(has_text=flow).first


def test_the_reviews_name_busybox_to_nginx_80_newly_denied_then_newly_allowed(browser: Any, console_url: str) -> None:
    ns = f"imp-{uuid.uuid4().hex[:6]}"
    page = sign_in(browser, console_url, timeout=15_000)
    try:
        prepare_example_application(page, no_audit, ns)
        running_pod(page, "nginx")
        back_to_workloads(page)
        running_pod(page, "busybox")
        flow = f"{ns}/busybox → {ns}/nginx:80/TCP"

        # Scenario 1's access-nginx: Next shows what it denies, before OK.
        fill_access_nginx(page, ns)
        click(page, panel(page).get_by_role("button", name="Next"))
        assert panel(page).get_by_role("heading", name="Review").is_visible()
        denied = changed(panel(page), "Newly denied", flow)
        assert denied.is_visible(), panel(page).get_by_role("region", name="Connection changes").inner_text()
        assert f"{ns}/busybox-" in denied.inner_text(), "the flows in full: busybox's pod to nginx's"
        assert panel(page).get_by_role("list", name=re.compile("^Newly allowed")).count() == 0
        with page.expect_navigation():
            panel(page).get_by_role("button", name="OK").click()
        page.get_by_role("status").filter(has_text="Network policy access-nginx was created.").wait_for()
        policies = page.get_by_role("table", name="Network Policies")
        policies.get_by_role("link", name="access-nginx", exact=True).wait_for()  # the cache has it

        # busybox's Edit labels adding access=true: Review shows what it allows, before Apply.
        review_busybox_with_access(page, ns)
        main = page.get_by_role("main")
        changed(main, "Newly allowed", flow).wait_for()
        assert main.get_by_role("list", name=re.compile("^Newly denied")).count() == 0
        page.get_by_role("button", name="Apply", exact=True).click()
        page.get_by_role("status").filter(has_text="The pod labels of workload busybox were changed").wait_for()
    finally:
        page.context.close()
