"""What one bench run found (pure): the figures, the phases that failed, and each target of issue 16
met or missed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.bench.load import Editing, Load
from app.bench.scale import BIG, Scale
from app.bench.stats import Timing

# The targets of issue 16, at large scale on a 2-core machine: (measurement, what, limit).
TARGETS: tuple[tuple[str, str, float], ...] = (
    ("page", "p95", 0.050),
    ("restList", "p95", 0.030),
    ("connectivity", "p95", 0.020),
    ("review", "p95", 0.300),
    ("matrixNamespace", "p95", 0.200),
    ("matrixCluster", "p95", 5.0),
    ("changeToPage", "p95", 1.0),
)
RSS_LIMIT_MB = 400
LOAD_MINIMUM = {"restList": 300, "page": 150}  # requests per second under load
EDIT_BUDGET = 0.300  # seconds per write on top of the API server's own time


@dataclass
class Report:
    scale: Scale
    database: str = "sqlite"
    seeding_seconds: float = 0.0
    sync_seconds: float = 0.0
    timings: dict[str, Timing] = field(default_factory=dict)
    direct: dict[str, Timing] = field(default_factory=dict)
    rss_mb: float | None = None
    loads: dict[str, Load] = field(default_factory=dict)
    editing: Editing | None = None
    api_write: Timing | None = None
    failures: dict[str, str] = field(default_factory=dict)  # phase: what went wrong

    @property
    def ratio(self) -> float | None:
        mine, theirs = self.timings.get("restList"), self.direct.get("list")
        return mine.p95 / theirs.p95 if mine and theirs and theirs.p95 else None

    def checks(self) -> list[tuple[str, bool, str]]:
        """(target, met, what was measured) for each target of issue 16; a phase that failed is a
        target missed."""
        out = []
        for name, stat, limit in TARGETS:
            t = self.timings.get(name)
            if t is not None:
                value = getattr(t, stat)
                ok = value <= limit and not t.errors
                out.append((f"{name} {stat} <= {limit * 1000:g} ms", ok, f"{value * 1000:.1f} ms, {t.errors} errors"))
        if self.rss_mb is not None:
            out.append((f"RSS <= {RSS_LIMIT_MB} MB", self.rss_mb <= RSS_LIMIT_MB, f"{self.rss_mb:.0f} MB"))
        if self.ratio is not None:
            out.append(("console list / API server list < 1", self.ratio < 1, f"{self.ratio:.2f}"))
        for name, minimum in LOAD_MINIMUM.items():
            load = self.loads.get(name)
            if load is not None:
                ok = load.errors == 0 and load.per_second >= minimum and load.p99 < 1.0
                out.append((f"load {name}: >= {minimum} req/s, 0 errors, p99 < 1 s", ok, load.line()))
        if self.editing is not None and self.api_write is not None:
            e = self.editing
            budget = EDIT_BUDGET + self.api_write.p95
            ok = e.writes.p95 <= budget and e.lost == 0 and e.errors == 0
            said = (f"p95 {e.writes.p95 * 1000:.1f} ms (API server alone {self.api_write.p95 * 1000:.1f} ms), "
                    f"{e.lost} lost, {e.conflicts} conflicts, {e.errors} errors")  # fmt: skip
            out.append((f"{e.editors} editors: p95 <= 300 ms + the API server's, 0 lost", ok, said))
        out += [(f"phase {name} completes", False, error) for name, error in self.failures.items()]
        return out

    def as_dict(self) -> dict[str, Any]:
        s = self.scale
        return {
            "scale": {"name": s.name, "namespaces": s.namespaces, "deployments": s.deployments, "pods": s.pods,
                      "policies": s.policies, "largestNamespacePods": s.big_pods,
                      "largestNamespacePolicies": s.big_policies},
            "database": self.database,
            "seedingSeconds": round(self.seeding_seconds, 1),
            "cacheSyncSeconds": round(self.sync_seconds, 1),
            "timings": {k: v.as_dict() for k, v in self.timings.items()},
            "apiServer": {k: v.as_dict() for k, v in self.direct.items()},
            "listRatio": round(self.ratio, 3) if self.ratio is not None else None,
            "rssMb": round(self.rss_mb, 1) if self.rss_mb is not None else None,
            "load": {k: v.as_dict() for k, v in self.loads.items()},
            "editing": self.editing.as_dict() if self.editing else None,
            "apiServerWrite": self.api_write.as_dict() if self.api_write else None,
            "failures": [{"phase": k, "error": v} for k, v in self.failures.items()],
            "targets": [{"target": t, "met": ok, "measured": m} for t, ok, m in self.checks()],
        }  # fmt: skip

    def rows(self) -> list[tuple[str, Timing]]:
        """Every timing with its name: the console's, the API server's, the writes'."""
        out = [*self.timings.items(), *((f"API server {name}", t) for name, t in self.direct.items())]
        if self.editing is not None:
            out.append((f"{self.editing.editors} editors' writes", self.editing.writes))
        if self.api_write is not None:
            out.append(("API server write", self.api_write))
        return out

    def notes(self) -> list[str]:
        """The figures that are not timings, a sentence each."""
        out = []
        if self.rss_mb is not None:
            out.append(f"the console's RSS: {self.rss_mb:.0f} MB")
        if self.ratio is not None:
            out.append(f"the console's list over the API server's (p95): {self.ratio:.2f}")
        out += [f"load on {name}: {load.line()}" for name, load in self.loads.items()]
        if self.editing is not None:
            out.append(f"editors: {self.editing.outcome()}")
        return out

    def lines(self) -> list[str]:
        s = self.scale
        out = [f"scale {s.name}: {s.namespaces} namespaces, {s.deployments} Deployments, {s.pods} pods, "
               f"{s.policies} NetworkPolicies ({s.big_pods} pods, {s.big_policies} policies in {BIG}); "
               f"the console on {self.database}",
               f"seeded in {self.seeding_seconds:.1f} s; the console's cache synced in {self.sync_seconds:.1f} s"]
        out += [f"  {name:<22} {t.line()}" for name, t in self.rows()]
        out += [f"  {note}" for note in self.notes()]
        if self.failures:
            out.append("failed phases (the bench went on):")
            out += [f"  {name}: {error}" for name, error in self.failures.items()]
        out.append("targets:")
        out += [f"  [{'met' if ok else 'MISSED'}] {t}: {m}" for t, ok, m in self.checks()]
        return out  # fmt: skip
