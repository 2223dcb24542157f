"""``netpol-console matrix --format csv|md|json [--by workload]``, run for real, read back against
the JSON matrix of the same files."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from tests.cli.test_offline import PODS, SCENARIO1, run


def pod(name: str, **labels: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "shop", "labels": labels},
            "status": {"podIP": None}}  # fmt: skip


SHOP = json.dumps({"apiVersion": "v1", "kind": "List", "items": [
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}},
    pod("web-5d9c7b6f4-abcde", app="web", **{"pod-template-hash": "5d9c7b6f4"}),
    pod("web-5d9c7b6f4-fghij", app="web", **{"pod-template-hash": "5d9c7b6f4"}),
    pod("client", app="client", trusted="yes"),
    pod("other", app="other"),
    {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "web", "namespace": "shop"},
     "spec": {"podSelector": {"matchLabels": {"app": "web"}},
              "ingress": [{"from": [{"podSelector": {"matchLabels": {"trusted": "yes"}}}]}]}},
]})  # fmt: skip


def test_csv_reads_back_as_the_json_matrix() -> None:
    data = json.loads(run("matrix", "--json", "--port", "80", PODS, SCENARIO1).stdout)
    proc = run("matrix", "--format", "csv", "--port", "80", PODS, SCENARIO1)
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.reader(io.StringIO(proc.stdout)))
    assert rows[0] == ["TCP/80 From ↓ To →", *data["pods"]]
    assert {r[0]: dict(zip(rows[0][1:], r[1:], strict=True)) for r in rows[1:]} == {
        src: {dst: "allowed" if ok else "denied" for dst, ok in row.items()} for src, row in data["allowed"].items()
    }
    assert rows[1 + data["pods"].index("default/busybox")][1 + data["pods"].index("default/nginx")] == "denied"


def test_json_stays_the_pod_matrix_with_format_json() -> None:
    assert run("matrix", "--format", "json", PODS, SCENARIO1).stdout == run("matrix", "--json", PODS, SCENARIO1).stdout
    assert run("matrix", PODS, SCENARIO1).stdout.startswith("TCP/80: rows are sources")  # text stays the default


def test_markdown_by_workload_groups_a_deployment() -> None:
    proc = run("matrix", "--format", "md", "--by", "workload", "-", stdin=SHOP)
    assert proc.returncode == 0, proc.stderr
    table = [[c.strip() for c in line.split("|")[1:-1]] for line in proc.stdout.splitlines() if line.startswith("|")]
    assert table[0] == ["From ↓ To →", "shop/client", "shop/other", "shop/web (Deployment)"]
    rows = {r[0]: r[1:] for r in table[2:]}
    assert rows["shop/client"] == ["allowed", "allowed", "allowed 2/2"]
    assert rows["shop/other"] == ["allowed", "allowed", "denied 0/2"]
    assert rows["shop/web (Deployment)"] == ["allowed 2/2", "allowed 2/2", "mixed 2/4"]


def test_json_by_workload_counts_pairs() -> None:
    data = json.loads(run("matrix", "--format", "json", "--by", "workload", "-", stdin=SHOP).stdout)
    assert [g["key"] for g in data["groups"]] == ["shop/Pod/client", "shop/Pod/other", "shop/Deployment/web"]
    assert data["groups"][2]["pods"] == ["shop/web-5d9c7b6f4-abcde", "shop/web-5d9c7b6f4-fghij"]
    assert data["cells"]["shop/Pod/other"]["shop/Deployment/web"] == {"state": "denied", "allowed": 0, "total": 2}
