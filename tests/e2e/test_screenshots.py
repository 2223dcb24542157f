"""The README's screenshots of the list and the Create panel, taken from the running console.

`make screenshots` runs this with NETPOL_SCREENSHOTS_DIR=docs to refresh the committed images."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tests.e2e.test_scenarios import open_create, panel, pick_workload, section


def test_screenshots_of_the_list_and_the_create_panel(page: Any, tmp_path: Path) -> None:
    out = Path(os.environ.get("NETPOL_SCREENSHOTS_DIR") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    page.goto("/clusters/sandbox/networkpolicies?namespace=default")
    page.get_by_role("table", name="Network Policies").wait_for()
    page.screenshot(path=str(out / "network-policies-list.png"))

    open_create(page, "default")
    panel(page).get_by_label("Name", exact=True).fill("access-nginx")
    pick_workload(page, section(page, "Pod Selector"), "Stateless (Deployment)", "nginx", "app=nginx")
    page.screenshot(path=str(out / "network-policies-create.png"))

    for name in ("network-policies-list.png", "network-policies-create.png"):
        data = (out / name).read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 10_000
