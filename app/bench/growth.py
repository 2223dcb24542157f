"""How each figure of the bench grows over ``--steps`` (pure): every figure is set against the
objects it touches, and one that grows faster than those objects is flagged.

Timings are compared by their median (p50): on a shared 2-core machine a p95 over a few dozen
requests swings with whatever else runs, while the median follows the work done. A figure is
flagged when, from the first step to a later one, it grows by more than ``SLACK`` times the
growth of what it touches and by more than its noise floor (``NOISE``); a figure whose objects do
not grow may grow by ``SLACK`` at most. The matrices touch pairs: their output is quadratic in
the pods by definition.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from app.bench.report import Report
from app.bench.scale import BIG, Scale

SLACK = 1.25
Value = Callable[[Report], float | None]
Touched = Callable[[Scale], float]


def _timing(name: str) -> Value:
    return lambda r: r.timings[name].p50 * 1000 if name in r.timings and r.timings[name].count else None


def _direct(name: str) -> Value:
    return lambda r: r.direct[name].p50 * 1000 if name in r.direct and r.direct[name].count else None


def _load(name: str) -> Value:
    return lambda r: r.loads[name].p50 * 1000 if name in r.loads else None


def _writes(r: Report) -> float | None:
    return r.editing.writes.p50 * 1000 if r.editing and r.editing.writes.count else None


def _api_writes(r: Report) -> float | None:
    return r.api_write.p50 * 1000 if r.api_write and r.api_write.count else None


def _big_policies(s: Scale) -> float:
    return s.big_policies


def _listed(s: Scale) -> float:
    return min(s.policies, 500)


IN_BIG = f"policies in {BIG}"
# (figure, unit, its value in a report, what it touches, how many of those a scale holds)
FIGURES: tuple[tuple[str, str, Value, str, Touched], ...] = (
    ("page p50", "ms", _timing("page"), IN_BIG, _big_policies),
    ("restList p50", "ms", _timing("restList"), IN_BIG, _big_policies),
    ("restListAll p50", "ms", _timing("restListAll"), "policies listed (a page of 500)", _listed),
    ("connectivity p50", "ms", _timing("connectivity"), "policies", lambda s: s.policies),
    ("review p50", "ms", _timing("review"), "pods and policies (the impact)", lambda s: s.pods + s.policies),
    ("matrixNamespace p50", "ms", _timing("matrixNamespace"), f"pod pairs in {BIG}", lambda s: s.big_pods**2),
    ("matrixCluster p50", "ms", _timing("matrixCluster"), "workload pairs", lambda s: s.deployments**2),
    ("changeToPage p50", "ms", _timing("changeToPage"), IN_BIG, _big_policies),
    ("API server list p50", "ms", _direct("list"), IN_BIG, _big_policies),
    ("API server listAll p50", "ms", _direct("listAll"), "policies listed (a page of 500)", _listed),
    ("console RSS", "MB", lambda r: r.rss_mb, "objects cached", lambda s: s.objects),
    ("load page p50", "ms", _load("page"), IN_BIG, _big_policies),
    ("load restList p50", "ms", _load("restList"), IN_BIG, _big_policies),
    ("editors' write p50", "ms", _writes, IN_BIG, _big_policies),
    ("API server write p50", "ms", _api_writes, "one policy", lambda s: 1),
)
NOISE = {"ms": 5.0, "MB": 25.0}
# The API server's own figures are the reference the console is set against, not the console's:
# shown with their growth, never flagged as the console's.
REFERENCE = frozenset(f for f, *_ in FIGURES if f.startswith("API server"))


@dataclass(frozen=True)
class Growth:
    figure: str
    unit: str
    touches: str
    values: list[float | None]  # per step
    touched: list[float]  # per step
    flagged: bool

    @property
    def exponent(self) -> float | None:
        """log(figure growth) / log(touched growth) from the first to the last step: 1 is linear."""
        first, last = self.values[0], self.values[-1]
        grown = self.touched[-1] / self.touched[0] if self.touched[0] else 1.0
        if first is None or last is None or first <= 0 or last <= 0 or grown <= 1:
            return None
        return math.log(last / first) / math.log(grown)

    def verdict(self) -> str:
        if self.figure in REFERENCE:
            return "the API server's own (reference)"
        if self.flagged:
            return "FASTER than linear"
        if any(v is None for v in self.values):
            return "not measured at every step"
        return "linear or better"

    def as_dict(self) -> dict[str, object]:
        return {"figure": self.figure, "unit": self.unit, "touches": self.touches,
                "values": [None if v is None else round(v, 2) for v in self.values], "touched": self.touched,
                "exponent": None if self.exponent is None else round(self.exponent, 2),
                "fasterThanLinear": self.flagged}  # fmt: skip

    def line(self) -> str:
        values = ", ".join("-" if v is None else f"{v:.1f}" for v in self.values)
        exp = f", exponent {self.exponent:.2f}" if self.exponent is not None else ""
        return f"  {self.figure:<24} {values} {self.unit} over {self.touches}{exp}: {self.verdict()}"


def growth(reports: list[Report]) -> list[Growth]:
    """Each figure over the steps (``reports`` in step order, the first the base)."""
    out = []
    for figure, unit, value, touches, touched in FIGURES:
        values = [value(r) for r in reports]
        counts = [float(touched(r.scale)) for r in reports]
        first = values[0]
        flagged = False
        for v, n in zip(values[1:], counts[1:], strict=True):
            if first is None or v is None or first <= 0:
                continue
            allowed = first * max(1.0, n / counts[0] if counts[0] else 1.0) * SLACK
            flagged |= v > allowed and v - first > NOISE[unit] and figure not in REFERENCE
        out.append(Growth(figure, unit, touches, values, counts, flagged))
    return out
