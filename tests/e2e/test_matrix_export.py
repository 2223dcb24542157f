"""The matrix as something to share, in Chromium: from `/`, the sandbox's Connectivity page by its
menu, two namespaces ticked, the matrix grouped by workload, a cell clicked and explained as the
check explains a connection, and the CSV downloaded and read back against the table shown."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

from tests.e2e.conftest import heading, menu, open_cluster, settle


def table_cells(page: Any) -> tuple[list[str], dict[str, list[str]]]:
    """The matrix table as shown: its column heads, and each row's cell texts by row head."""
    table = page.locator("table.matrix")
    columns = [t.strip() for t in table.locator("thead th").all_inner_texts()][1:]
    rows = {}
    for row in table.locator("tbody tr").all():
        head = row.locator("th").inner_text().strip()
        rows[head] = [re.sub(r"\s+", " ", t).strip() for t in row.locator("td a").all_inner_texts()]
    return columns, rows


def test_a_grouped_matrix_over_two_namespaces_is_explained_and_downloaded(page: Any, tmp_path: Path) -> None:
    open_cluster(page)
    menu(page).get_by_role("link", name="Connectivity", exact=True).click()
    heading(page, "Connectivity")

    region = page.get_by_role("region", name="Matrix")
    namespaces = region.get_by_role("group", name="Namespaces")
    namespaces.get_by_label("default", exact=True).check()
    namespaces.get_by_label("kube-system", exact=True).check()
    region.get_by_label("Port", exact=True).fill("53")
    region.get_by_label("Protocol", exact=True).select_option("UDP")
    assert region.get_by_label("Rows and columns").input_value() == "workload"
    region.get_by_role("button", name="Show matrix", exact=True).click()
    page.locator("table.matrix").wait_for()
    settle(page)
    page.wait_for_url(re.compile(r"mnamespace=default&mnamespace=kube-system"))

    columns, rows = table_cells(page)
    # grouped: coredns's two replicas share one row and column, named by their Deployment
    assert "kube-system/coredns (Deployment)" in columns and "default/busybox (Deployment)" in rows
    assert not any(re.search(r"coredns-[a-z0-9]+-[a-z0-9]{5}", c) for c in columns)
    into_dns = rows["default/busybox (Deployment)"][columns.index("kube-system/coredns (Deployment)")]
    assert re.fullmatch(r"[✓✗◐] (allowed|denied|mixed) \d/2", into_dns), into_dns

    row = page.locator("table.matrix tbody tr").filter(
        has=page.get_by_role("rowheader", name="default/busybox (Deployment)", exact=True)
    )
    page.locator("table.matrix").evaluate("table => { table.dataset.before = 'the click' }")
    row.get_by_role("link").nth(columns.index("kube-system/coredns (Deployment)")).click()
    cell = page.locator("#cx-cell")
    cell.get_by_role("heading", name=re.compile("Why this cell")).wait_for()
    settle(page)
    # htmx swapped the explanation in under the same table: the page was not loaded again
    assert page.locator("table.matrix").get_attribute("data-before") == "the click"
    assert "default/busybox (Deployment) → kube-system/coredns (Deployment) on UDP/53" in cell.inner_text()
    assert re.search(r"\d of 2 pod pairs are allowed\.", cell.inner_text())
    verdict = cell.locator(".verdict").first
    verdict.wait_for()
    said = verdict.inner_text()
    assert re.search(r"(ALLOWED|DENIED): default/busybox-\S+ → kube-system/coredns-\S+ on UDP/53", said), said
    assert "Ingress:" in said or "ingress" in said
    assert "cfrom=" in page.url  # the explained cell is in the address, to share it

    with page.expect_download() as info:
        region.get_by_role("link", name="CSV", exact=True).click()
    download = info.value
    assert re.fullmatch(r"matrix-default-kube-system-udp-53-by-workload\.csv", download.suggested_filename)
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    read = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8"))))
    assert read[0] == ["UDP/53 From ↓ To →", *columns]
    shown = {head: [re.sub(r"^[✓✗◐] ", "", text) for text in texts] for head, texts in rows.items()}
    assert {r[0]: r[1:] for r in read[1:]} == shown
