"""`netpol-console bench`: its pure parts, and two tiny steps end to end on fresh control planes
(the targets are judged by the bench itself, not here: this checks that it measures, reports a
failed phase and goes on, and writes the doc with its plot)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from app.bench.growth import growth
from app.bench.report import Report
from app.bench.scale import BIG, PODS_PER_NODE, SCALES, Scale, deployments, namespaces, nodes, policies
from app.bench.stats import Timing, percentile

ROOT = Path(__file__).resolve().parents[2]


def test_percentiles_by_nearest_rank() -> None:
    samples = [float(i) for i in range(1, 101)]
    assert (percentile(samples, 50), percentile(samples, 95), percentile(samples, 99)) == (50.0, 95.0, 99.0)
    assert percentile([3.0], 99) == 3.0 and percentile([], 50) == 0.0
    t = Timing.of([0.010, 0.020, 0.030], errors=1)
    assert t.as_dict() == {"count": 3, "p50Ms": 20.0, "p95Ms": 30.0, "p99Ms": 30.0, "errors": 1}


def test_each_scale_seeds_what_it_says_with_the_largest_namespace_first() -> None:
    for scale in SCALES.values():
        made = deployments(scale)
        assert len(namespaces(scale)) == scale.namespaces and len(made) == scale.deployments
        assert sum(d["spec"]["replicas"] for d in made) == scale.pods
        assert len(nodes(scale)) * PODS_PER_NODE > scale.pods  # room for every pod
        assert len({n["spec"]["podCIDR"] for n in nodes(scale)}) == len(nodes(scale))
        per_ns = Counter(d["metadata"]["namespace"] for d in made)
        assert per_ns.most_common(1)[0] == (BIG, scale.big_deployments)
        assert len(per_ns) == scale.namespaces
        made_policies = policies(scale)
        assert len(made_policies) == scale.policies
        assert Counter(p["metadata"]["namespace"] for p in made_policies)[BIG] == scale.big_policies
        assert len({(p["metadata"]["namespace"], p["metadata"]["name"]) for p in made_policies}) == scale.policies
    large = SCALES["large"]
    assert (large.namespaces, large.pods, large.policies, large.big_pods) == (200, 10_000, 1_000, 200)


def test_steps_multiply_the_objects_and_quarter_by_four_is_large() -> None:
    quarter = SCALES["quarter"]
    double = quarter.times(2)
    assert (double.namespaces, double.deployments, double.pods, double.policies) == (100, 500, 5000, 500)
    assert double.big_pods == 2 * quarter.big_pods
    assert quarter.times(4) is SCALES["large"], "the last step of make bench is the large scale itself"
    assert quarter.times(1) is quarter


def test_growth_flags_only_a_figure_that_outgrows_what_it_touches() -> None:
    base, double = SCALES["tiny"], SCALES["tiny"].times(2)
    assert (double.pods, double.policies, double.big_policies) == (2 * base.pods, 2 * base.policies, 4)
    quarter = SCALES["quarter"].times(4)
    large = SCALES["large"]
    assert (quarter.namespaces, quarter.deployments, quarter.pods, quarter.policies) == (
        large.namespaces, large.deployments, large.pods, large.policies)  # fmt: skip

    def report(scale: Scale, page_ms: float, rest_ms: float) -> Report:
        return Report(scale, timings={"page": Timing.of([page_ms / 1000]), "restList": Timing.of([rest_ms / 1000])},
                      direct={"listAll": Timing.of([rest_ms / 1000])})  # fmt: skip

    # The page doubles with twice the policies (linear); the REST list goes from 10 to 60 ms, and
    # so does the API server's own list, which is the reference and not flagged as the console's.
    grown = {g.figure: g for g in growth([report(base, 20, 10), report(double, 40, 60)])}
    assert not grown["page p50"].flagged and grown["page p50"].exponent == pytest.approx(1.0)
    assert grown["restList p50"].flagged and grown["restList p50"].verdict() == "FASTER than linear"
    assert grown["connectivity p50"].verdict() == "not measured at every step"
    listed = grown["API server listAll p50"]
    assert not listed.flagged and listed.verdict() == "the API server's own (reference)" and listed.exponent > 2


def test_steps_report_a_failed_phase_go_on_and_write_the_doc(tmp_path: Path) -> None:
    """Two steps of the tiny scale, end to end; wrk refuses the page (a wrapper earlier on PATH
    exits 3 for it), which is reported as a failed phase while every other phase still runs."""
    real = shutil.which("wrk")
    assert real, "wrk is installed by `make test`"
    fake = tmp_path / "bin" / "wrk"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\ncase "$*" in *"/api/v1/"*) exec {real} "$@" ;; esac\necho refused >&2\nexit 3\n')
    fake.chmod(0o755)
    doc = tmp_path / "doc" / "performance.md"
    run = subprocess.run(
        [sys.executable, "-m", "app", "bench", "--scale", "tiny", "--steps", "1,2", "--samples", "10",
         "--duration", "2", "--clients", "5", "--editors", "4", "--json", "--write-doc", str(doc)],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
        env={**os.environ, "PATH": f"{fake.parent}{os.pathsep}{os.environ['PATH']}"},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    found = json.loads(run.stdout)
    assert [s["scale"]["pods"] for s in found["steps"]] == [12, 24]
    for report in found["steps"]:
        assert report["seedingSeconds"] > 0 and report["cacheSyncSeconds"] > 0
        assert report["failures"] == [{"phase": "load page", "error": "LoadError: wrk failed (3): refused"}]
        assert {"target": "phase load page completes", "met": False,
                "measured": "LoadError: wrk failed (3): refused"} in report["targets"]  # fmt: skip
        for name in ("page", "restList", "restListAll", "connectivity", "review", "matrixNamespace", "matrixCluster"):
            timing = report["timings"][name]
            assert timing["errors"] == 0 and timing["count"] >= 3 and 0 < timing["p50Ms"] <= timing["p99Ms"], name
        assert report["timings"]["changeToPage"]["count"] == 10
        assert report["apiServer"]["list"]["count"] == 10 and report["listRatio"] > 0
        assert 50 < report["rssMb"] < 4000
        assert "page" not in report["load"] and report["load"]["restList"]["requests"] > 0
        editing = report["editing"]
        assert editing["writes"]["count"] > 0 and editing["lostUpdates"] == 0 and editing["errors"] == 0
        assert report["apiServerWrite"]["count"] == 20
    assert {g["figure"] for g in found["growth"]} >= {"page p50", "console RSS", "editors' write p50"}
    text = doc.read_text()
    assert "## tiny: 3 namespaces" in text and "## tinyx2: 6 namespaces" in text and "## Growth" in text
    assert "Phase load page failed at tiny: LoadError" in text and "- cores: " in text and "- commit: " in text
    png = doc.with_suffix(".png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and f"]({png.name})" in text
