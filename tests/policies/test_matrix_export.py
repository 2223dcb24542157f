"""The matrix grouped by workload and its exports (CSV, Markdown, SVG), each read back and held
against the matrix it came from."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET

import pytest

from app.cli.bench import synthetic_world
from app.policies.documents import Namespace, Pod
from app.policies.matrix import Matrix, matrix
from app.policies.matrix_export import (
    CORNER,
    Cell,
    Grid,
    Workload,
    by_pod,
    by_workload,
    filename,
    to_csv,
    to_json,
    to_markdown,
    to_svg,
    workload_of,
    workloads_by_labels,
)
from app.policies.model import NetworkPolicy
from app.policies.reachability import World

SVG = "{http://www.w3.org/2000/svg}"


def pod(ns: str, name: str, **labels: str) -> Pod:
    return Pod(ns, name, labels, pod_ip=None, named_ports={"http": (8080, "TCP")} if "web" in name else {})


def shop() -> World:
    """web (a Deployment, 2 pods), api (a StatefulSet, 2 pods: one labelled trusted), a DaemonSet's
    pod, a Job's pod and a bare pod; web accepts only trusted pods on 8080."""
    pods = [
        pod("shop", "web-5d9c7b6f4-abcde", app="web", **{"pod-template-hash": "5d9c7b6f4"}),
        pod("shop", "web-5d9c7b6f4-fghij", app="web", **{"pod-template-hash": "5d9c7b6f4"}),
        pod("shop", "api-0", app="api", trusted="yes", **{"controller-revision-hash": "api-7f",
                                                          "statefulset.kubernetes.io/pod-name": "api-0"}),
        pod("shop", "api-1", app="api", **{"controller-revision-hash": "api-7f",
                                           "statefulset.kubernetes.io/pod-name": "api-1"}),
        pod("ops", "agent-x7k2p", app="agent", **{"controller-revision-hash": "6c8d9"}),
        pod("ops", "backup-28012345-q9z8w", **{"job-name": "backup-28012345"}),
        pod("ops", "debug"),
    ]
    policy = NetworkPolicy.from_dict({
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"podSelector": {"matchLabels": {"app": "web"}},
                 "ingress": [{"from": [{"podSelector": {"matchLabels": {"trusted": "yes"}}}],
                              "ports": [{"port": 8080}]}]},
    })  # fmt: skip
    return World([Namespace("shop"), Namespace("ops")], pods, [policy])


def grids() -> tuple[Matrix, Grid, Grid]:
    w = shop()
    m = matrix(w, 8080)
    return m, by_pod(m), by_workload(m, workloads_by_labels(w.pods.values()))


def test_pods_are_grouped_by_the_workload_their_controller_labels_name() -> None:
    found = {ref: w for ref, w in workloads_by_labels(shop().pods.values()).items()}
    assert found["shop/web-5d9c7b6f4-abcde"] == Workload("shop", "Deployment", "web")
    assert found["shop/api-1"] == Workload("shop", "StatefulSet", "api")
    assert found["ops/agent-x7k2p"] == Workload("ops", "DaemonSet", "agent")
    assert found["ops/backup-28012345-q9z8w"] == Workload("ops", "Job", "backup-28012345")
    assert found["ops/debug"] == Workload("ops", "Pod", "debug")


def test_an_owner_is_taken_up_through_the_replicaset_and_the_job() -> None:
    web = pod("shop", "web-5d9c7b6f4-abcde", **{"pod-template-hash": "5d9c7b6f4"})
    assert workload_of(web, ("ReplicaSet", "web-5d9c7b6f4")) == Workload("shop", "Deployment", "web")
    # a ReplicaSet not named after the hash is nobody's but its own
    assert workload_of(pod("shop", "x-1"), ("ReplicaSet", "x")) == Workload("shop", "ReplicaSet", "x")
    job = pod("ops", "backup-28012345-q9z8w", **{"job-name": "backup-28012345"})
    parents = {("ops", "Job", "backup-28012345"): ("CronJob", "backup")}
    assert workload_of(job, ("Job", "backup-28012345"), parents) == Workload("ops", "CronJob", "backup")
    assert workload_of(job, ("Job", "backup-28012345")) == Workload("ops", "Job", "backup-28012345")


def test_group_cells_count_the_pod_pairs_of_the_pod_matrix() -> None:
    m, pods, grouped = grids()
    assert [h.label() for h in grouped.heads] == [
        "ops/agent (DaemonSet)", "ops/backup-28012345 (Job)", "ops/debug", "shop/api (StatefulSet)",
        "shop/web (Deployment)",
    ]  # fmt: skip
    for src, row in grouped.rows():
        for dst, cell in zip(grouped.heads, row, strict=True):
            pairs = [m.allowed(s, d) for s in src.pods for d in dst.pods]
            assert (cell.allowed, cell.total) == (sum(pairs), len(pairs)), (src.key, dst.key)
    web = "shop/Deployment/web"
    assert grouped.cell("shop/StatefulSet/api", web) == Cell(2, 4)  # only api-0 is trusted
    assert grouped.cell("shop/StatefulSet/api", web).text() == "mixed 2/4"  # type: ignore[union-attr]
    assert grouped.cell("ops/Pod/debug", web).text() == "denied 0/2"  # type: ignore[union-attr]
    # web to web: each pod reaches itself, not its sibling
    assert grouped.cell(web, web) == Cell(2, 4)
    assert grouped.cell(web, "ops/Pod/debug").text() == "allowed 2/2"  # type: ignore[union-attr]
    assert sum(c.allowed for row in grouped.cells for c in row) == sum(c.allowed for row in pods.cells for c in row)


def test_grouping_agrees_with_the_pod_matrix_on_a_synthetic_cluster() -> None:
    w = World(*synthetic_world(300, 6, 30, 7))
    m = matrix(w, 80)
    # synthetic pods carry no controller labels: group them by their app label as workloads would be
    workloads = {p.ref: Workload(p.namespace, "Deployment", p.labels.get("app", p.name)) for p in w.pods.values()}
    grouped = by_workload(m, workloads)
    assert len(grouped.heads) < len(m.pods)
    for src, row in grouped.rows():
        for dst, cell in zip(grouped.heads, row, strict=True):
            assert cell.allowed == sum(m.allowed(s, d) for s in src.pods for d in dst.pods)


@pytest.mark.parametrize("which", ["pod", "workload"])
def test_the_csv_reads_back_as_the_matrix(which: str) -> None:
    m, pods, grouped = grids()
    grid = pods if which == "pod" else grouped
    rows = list(csv.reader(io.StringIO(to_csv(grid))))
    assert rows[0][0] == "TCP/8080 From ↓ To →"
    assert rows[0][1:] == [h.label() for h in grid.heads]
    assert [r[0] for r in rows[1:]] == [h.label() for h in grid.heads]
    for (_, cells), read in zip(grid.rows(), rows[1:], strict=True):
        assert read[1:] == [c.text() for c in cells]
    if which == "pod":
        index = {ref: i for i, ref in enumerate(m.pods)}
        busy = rows[1 + index["ops/debug"]][1 + index["shop/web-5d9c7b6f4-abcde"]]
        assert busy == "denied"
        assert rows[1 + index["shop/api-0"]][1 + index["shop/web-5d9c7b6f4-abcde"]] == "allowed"


def test_the_markdown_table_reads_back_as_the_matrix() -> None:
    _, _, grid = grids()
    text = to_markdown(grid)
    assert text.startswith("**TCP/8080**: rows are the source workloads, columns the destination workloads")
    table = [line for line in text.splitlines() if line.startswith("|")]
    split = [[c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]] for line in table]
    assert split[0] == ["From ↓ To →", *(h.label() for h in grid.heads)]
    assert set(split[1]) == {"---"} and len(split[1]) == len(grid.heads) + 1
    assert split[2:] == [[src.label(), *(c.text() for c in row)] for src, row in grid.rows()]


def test_markdown_escapes_a_pipe() -> None:
    m = matrix(World([Namespace("a")], [Pod("a", "x")], []), 80)
    grid = by_pod(m)
    grid.heads[0] = type(grid.heads[0])("a/x", "a", "x|y", None, ("a/x",))
    assert "| a/x\\|y | allowed |" in to_markdown(grid)


def test_the_svg_is_well_formed_and_holds_every_cell() -> None:
    _, _, grid = grids()
    root = ET.fromstring(to_svg(grid))
    assert root.tag == f"{SVG}svg"
    cells = root.findall(f"{SVG}g[@class='cell']")
    assert len(cells) == len(grid.heads) ** 2
    read = {(g.get("data-from"), g.get("data-to")): (g.get("data-state"), g.findtext(f"{SVG}title")) for g in cells}
    for src, row in grid.rows():
        for dst, cell in zip(grid.heads, row, strict=True):
            assert read[(src.key, dst.key)] == (cell.state, f"{src.label()} → {dst.label()}: {cell.text()}")
    rows = [t.text for t in root.findall(f"{SVG}text[@class='row']")]
    assert rows == [h.label() for h in grid.heads]


def test_the_svg_escapes_names() -> None:
    m = matrix(World([Namespace("a")], [Pod("a", "x")], []), 80)
    grid = by_pod(m)
    grid.heads[0] = type(grid.heads[0])('a/<b>&"', "a", '<b>&"', None, ("a/x",))
    root = ET.fromstring(to_svg(grid))
    assert root.find(f"{SVG}g[@class='cell']").get("data-from") == 'a/<b>&"'  # type: ignore[union-attr]
    assert root.find(f"{SVG}text[@class='row']").text == 'a/<b>&"'  # type: ignore[union-attr]


def test_an_empty_matrix_exports_its_frame() -> None:
    grid = by_pod(matrix(World([], [], []), 80))
    assert list(csv.reader(io.StringIO(to_csv(grid)))) == [["TCP/80 From ↓ To →"]]
    assert ET.fromstring(to_svg(grid)).findall(f"{SVG}g") == []
    assert filename(grid, "csv") == "matrix--tcp-80-by-pod.csv"


def test_file_names_say_what_the_matrix_is() -> None:
    _, pods, grouped = grids()
    assert filename(grouped, "md") == "matrix-ops-shop-tcp-8080-by-workload.md"
    assert filename(pods, "svg") == "matrix-ops-shop-tcp-8080-by-pod.svg"


@pytest.mark.parametrize("which", ["pod", "workload"])
def test_the_json_written_from_the_counts_is_the_grid(which: str) -> None:
    _, pods, grouped = grids()
    grid = pods if which == "pod" else grouped
    assert json.loads(to_json(grid)) == grid.as_dict()
    assert json.loads(to_json(by_pod(matrix(World([], [], []), 80)))) == {
        "port": 80, "protocol": "TCP", "by": "pod", "groups": [], "cells": {},
    }  # fmt: skip


def test_the_csv_quotes_a_label_as_the_csv_module_does() -> None:
    w = shop()
    m = matrix(w, 8080)
    odd = 'a,"b"'
    names = {r: odd if p.name == "debug" else p.name for r, p in w.pods.items()}
    grid = by_workload(m, {r: Workload(p.namespace, "Deployment", names[r]) for r, p in w.pods.items()})
    expected = io.StringIO()
    writer = csv.writer(expected)
    writer.writerow([f"{grid.connection} {CORNER}", *(h.label() for h in grid.heads)])
    writer.writerows([src.label(), *(c.text() for c in row)] for src, row in grid.rows())
    assert to_csv(grid) == expected.getvalue()
    assert 'ops/a,"b" (Deployment)' in next(csv.reader(io.StringIO(to_csv(grid))))
