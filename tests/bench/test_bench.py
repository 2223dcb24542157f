"""`netpol-console bench`: its pure parts, and a small run end to end on a fresh control plane
(the targets are judged by the bench itself, not here: this checks that it measures)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

from app.bench.scale import BIG, PODS_PER_NODE, SCALES, deployments, namespaces, nodes, policies
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


def test_a_small_run_measures_everything_and_loses_no_update() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "app", "bench", "--scale", "small", "--samples", "20", "--duration", "2",
         "--clients", "10", "--editors", "5", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout)
    assert report["scale"]["pods"] == 200 and report["seedingSeconds"] > 0 and report["cacheSyncSeconds"] > 0
    for name in ("page", "restList", "restListAll", "connectivity", "review", "matrixNamespace", "matrixCluster"):
        timing = report["timings"][name]
        assert timing["errors"] == 0 and timing["count"] >= 3 and 0 < timing["p50Ms"] <= timing["p99Ms"], name
    assert report["timings"]["changeToPage"]["count"] == 10
    assert report["apiServer"]["list"]["count"] == 20 and report["listRatio"] > 0
    assert 50 < report["rssMb"] < 4000
    for name in ("page", "restList"):
        load = report["load"][name]
        assert load["requests"] > 0 and load["perSecond"] > 0, load
    editing = report["editing"]
    assert editing["writes"]["count"] > 0 and editing["lostUpdates"] == 0 and editing["errors"] == 0
    assert {t["target"] for t in report["targets"]} >= {"page p95 <= 50 ms", "RSS <= 400 MB"}
