"""The Connectivity page's matrix over several namespaces against the sandbox: grouped by workload
(Deployments through their ReplicaSets), a cell explained as the check explains a connection, the
downloads read back, the limits said in words, and bad input refused at its field."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from app.analysis.matrix_view import matrix_view
from tests.conftest import SandboxProcess
from tests.sandbox.kubectl import Kubectl
from tests.web.test_connectivity_services import reference_app
from tests.web.test_policy_views import HX, Console, _console

CELL = {**HX, "HX-Target": "cx-cell"}


def bare_pod(ns: str, name: str, labels: dict[str, str]) -> str:
    return json.dumps({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns, "labels": labels},
        "spec": {"containers": [{"name": name, "image": "busybox"}]},
    })  # fmt: skip


@pytest.fixture
def shop(k: Kubectl) -> Iterator[tuple[str, str]]:
    """Two namespaces: the reference's nginx (2 replicas), busybox and access-nginx, with a bare pod
    friend (access=true) in the first; a bare pod outsider (access=true) in the second."""
    first, second = f"mx-{uuid.uuid4().hex[:6]}", f"mx-{uuid.uuid4().hex[:6]}"
    for ns in (first, second):
        k("create", "namespace", ns)
    k("apply", "-f", "-", stdin=reference_app(first))
    k("apply", "-f", "-", stdin=bare_pod(first, "friend", {"access": "true"}))
    k("apply", "-f", "-", stdin=bare_pod(second, "outsider", {"access": "true"}))
    k.running("-n", first, count=4)
    k.running("-n", second, count=1)
    yield first, second
    for ns in (first, second):
        k("delete", "namespace", ns, "--wait=false")


@pytest.fixture
async def console(sandbox: SandboxProcess, tmp_path: Path) -> AsyncIterator[Console]:
    async with _console(sandbox, tmp_path, approved=True) as c:
        yield c


def page(namespaces: tuple[str, ...], *extra: tuple[str, str], port: str = "80") -> str:
    query = [*(("mnamespace", ns) for ns in namespaces), ("mport", port), *extra]
    return "/clusters/sandbox/connectivity?" + "&".join(f"{k}={v}" for k, v in query)


def cells(text: str) -> dict[tuple[str, str], str]:
    """The matrix table: (row head, column head) → the cell's text."""
    table = re.search(r'<table class="table matrix".*?</table>', text, re.S)
    assert table, "no matrix on the page"
    heads = [html.unescape(h) for h in re.findall(r'<th scope="col">([^<]+)</th>', table.group(0))[1:]]
    out = {}
    for row, body in re.findall(r'<tr><th scope="row">([^<]+)</th>(.*?)</tr>', table.group(0), re.S):
        texts = [re.sub(r"\s+", " ", t).strip() for t in re.findall(r"<td[^>]*><a [^>]*>(.*?)</a>", body, re.S)]
        out.update({(html.unescape(row), col): t for col, t in zip(heads, texts, strict=True)})
    return out


async def test_two_namespaces_grouped_by_workload(console: Console, shop: tuple[str, str]) -> None:
    first, second = shop
    shown = await console.until(page(shop), f"{second}/outsider</th>")
    assert shown.status_code == 200
    found = cells(shown.text)
    nginx, busybox = f"{first}/nginx (Deployment)", f"{first}/busybox (Deployment)"
    rows = sorted({r for r, _ in found})
    assert rows == sorted([busybox, f"{first}/friend", nginx, f"{second}/outsider"])
    assert found[(f"{first}/friend", nginx)] == "✓ allowed 2/2"
    assert found[(busybox, nginx)] == "✗ denied 0/2"
    assert found[(nginx, nginx)] == "◐ mixed 2/4"  # each nginx pod reaches itself only
    # access-nginx's podSelector peer is of its own namespace: outsider's label does not count
    assert found[(f"{second}/outsider", nginx)] == "✗ denied 0/2"
    assert found[(nginx, f"{second}/outsider")] == "✓ allowed 2/2"
    assert found[(f"{first}/friend", f"{second}/outsider")] == "✓ allowed"  # one pod pair: no count
    assert "Rows: source workload; columns: destination workload" in shown.text
    for ns in (first, second):
        assert f'name="mnamespace" value="{ns}" checked' in shown.text

    by_pod = await console.http.get(page(shop, ("mby", "pod")))
    pods = cells(by_pod.text)
    assert len({r for r, _ in pods}) == 5 and all(t in ("✓ allowed", "✗ denied") for t in pods.values())


async def test_a_cell_explains_itself_as_the_check_does(console: Console, shop: tuple[str, str]) -> None:
    first, _ = shop
    await console.until(page(shop), f"{first}/nginx (Deployment)")
    busybox = f"{first}/Deployment/busybox"
    nginx = f"{first}/Deployment/nginx"
    fragment = await console.http.get(page(shop, ("cfrom", busybox), ("cto", nginx)), headers=CELL)
    assert fragment.status_code == 200
    text = fragment.text
    assert text.lstrip().startswith("<div id=\"cx-cell\"") or 'id="cx-cell"' in text.split("\n", 3)[-1][:200]
    assert "<table class=\"table matrix\"" not in text and "<html" not in text
    assert f"{first}/busybox (Deployment) → {first}/nginx (Deployment)" in text
    assert "0 of 2 pod pairs are allowed." in text
    pod_pair = re.search(rf"<td>({first}/busybox-[^<]+)</td><td>({first}/nginx-[^<]+)</td>", text)
    assert pod_pair
    src, dst = pod_pair.groups()
    # the same words as the check of that one connection
    check = await console.http.get(
        "/clusters/sandbox/connectivity", params={"from": src, "to": dst, "port": "80"}, headers=HX
    )
    why = f"No ingress rule of {first}/access-nginx allows {src} on TCP/80, so it is denied."
    assert why in check.text and why in text
    assert "<strong>DENIED</strong>" in text and "<strong>ALLOWED</strong>" not in text

    mixed = await console.http.get(page(shop, ("cfrom", nginx), ("cto", nginx)), headers=CELL)
    assert "2 of 4 pod pairs are allowed." in mixed.text
    assert "<strong>ALLOWED</strong>" in mixed.text and "<strong>DENIED</strong>" in mixed.text

    one = await console.http.get(page(shop, ("cfrom", src), ("cto", dst)), headers=CELL)
    assert one.text.count('<div class="verdict ') == 1 and why in one.text

    whole = await console.http.get(page(shop, ("cfrom", busybox), ("cto", nginx)))
    assert "<html" in whole.text and why in whole.text and 'class="table matrix"' in whole.text

    gone = await console.http.get(page(shop, ("cfrom", f"{first}/Deployment/nope"), ("cto", nginx)), headers=CELL)
    assert gone.status_code == 404 and "This cell is not in the matrix" in gone.text


async def test_the_downloads_read_back_as_the_matrix(console: Console, shop: tuple[str, str]) -> None:
    first, second = shop
    await console.until(page(shop), f"{second}/outsider</th>")
    cluster = console.app.state.clusters.get("sandbox")
    _, grid = matrix_view(cluster, shop, 80, "TCP", "workload")
    shown = await console.http.get(page(shop))
    where = r'href="(?:http://console\.test)?(/clusters/sandbox/connectivity/matrix\?[^"]*format=csv)" download>CSV</a>'
    link = re.search(where, shown.text)
    assert link, "no CSV download on the page"
    answer = await console.http.get(html.unescape(link.group(1)))
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    names = "-".join(sorted(shop))
    assert answer.headers["content-disposition"] == f'attachment; filename="matrix-{names}-tcp-80-by-workload.csv"'
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0] == ["TCP/80 From ↓ To →", *(h.label() for h in grid.heads)]
    assert rows[1:] == [[src.label(), *(c.text() for c in row)] for src, row in grid.rows()]
    index = {r[0]: i for i, r in enumerate(rows)}
    assert rows[index[f"{first}/busybox (Deployment)"]][rows[0].index(f"{first}/nginx (Deployment)")] == "denied 0/2"

    base = html.unescape(link.group(1)).replace("format=csv", "format={}")
    md = await console.http.get(base.format("md"))
    assert md.headers["content-type"] == "text/markdown; charset=utf-8"
    assert md.headers["content-disposition"].startswith("attachment; ")
    table = [line for line in md.text.splitlines() if line.startswith("| ")]
    assert len(table) == len(grid.heads) + 2 and f"| {first}/friend | " in md.text  # the head, ---, the rows
    svg = await console.http.get(base.format("svg"))
    assert svg.headers["content-type"] == "image/svg+xml"
    root = ET.fromstring(svg.text)
    assert len(root.findall("{http://www.w3.org/2000/svg}g[@class='cell']")) == len(grid.heads) ** 2

    by_pod = await console.http.get(base.format("csv").replace("mby=workload", "mby=pod"))
    assert len(list(csv.reader(io.StringIO(by_pod.text)))) == 1 + 5


async def test_limits_are_said_in_words(
    console: Console, shop: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = shop
    await console.until(page(shop), f"{second}/outsider</th>")
    monkeypatch.setattr("app.web.connectivity.SHOWN_LIMIT", 3)
    by_pod = await console.http.get(page(shop, ("mby", "pod")))
    text = html.unescape(by_pod.text)
    assert "5 pods are too many to show one by one (at most 3): the matrix is shown by workload." in text
    assert "Only the first 3 of 4 rows and columns are shown; the downloads hold the whole matrix." in text
    assert len({r for r, _ in cells(by_pod.text)}) == 3
    monkeypatch.setattr("app.web.connectivity.EXPORT_LIMIT", 3)
    refused = await console.http.get(
        "/clusters/sandbox/connectivity/matrix",
        params=[("mnamespace", first), ("mnamespace", second), ("mport", "80"), ("format", "csv")],
    )
    assert refused.status_code == 400 and "too many to download (at most 3)" in refused.text


async def test_bad_matrix_input_is_refused_in_words(console: Console, shop: tuple[str, str]) -> None:
    first, _ = shop
    none = await console.http.get("/clusters/sandbox/connectivity?mport=80", headers=HX)
    assert none.status_code == 400 and "Choose at least one namespace for the matrix." in none.text
    unknown = await console.http.get(page(("no-such-ns",)), headers=HX)
    assert unknown.status_code == 400 and "Namespace no-such-ns was not found." in unknown.text
    bad_port = await console.http.get(page((first,), port="70000"))
    assert bad_port.status_code == 400 and "out of range" in bad_port.text
    bad_format = await console.http.get(
        "/clusters/sandbox/connectivity/matrix", params={"mnamespace": first, "mport": "80", "format": "png"}
    )
    assert bad_format.status_code == 400 and "Choose a download format: csv, md or svg." in bad_format.text
    # the check form alone does not ask for a matrix
    check_only = await console.http.get("/clusters/sandbox/connectivity", params={"mport": ""})
    assert check_only.status_code == 200 and 'class="table matrix"' not in check_only.text
    # before any matrix, "default" is ticked
    assert 'name="mnamespace" value="default" checked' in check_only.text
