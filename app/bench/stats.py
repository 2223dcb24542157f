"""Timings summarised as the bench reports them (pure)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def percentile(samples: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (0-100) by the nearest-rank method; 0.0 for no samples."""
    if not samples:
        return 0.0
    ordered = sorted(samples)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass(frozen=True)
class Timing:
    """Seconds per request: how many, and the 50th, 95th and 99th percentiles."""

    count: int
    p50: float
    p95: float
    p99: float
    errors: int = 0

    @classmethod
    def of(cls, samples: Sequence[float], errors: int = 0) -> Timing:
        return cls(len(samples), percentile(samples, 50), percentile(samples, 95), percentile(samples, 99), errors)

    def as_dict(self) -> dict[str, float | int]:
        ms = {k: round(v * 1000, 2) for k, v in (("p50Ms", self.p50), ("p95Ms", self.p95), ("p99Ms", self.p99))}
        return {"count": self.count, **ms, "errors": self.errors}

    def line(self) -> str:
        text = f"p50 {self.p50 * 1000:8.1f} ms  p95 {self.p95 * 1000:8.1f} ms  p99 {self.p99 * 1000:8.1f} ms"
        return text + f"  ({self.count} requests{f', {self.errors} errors' if self.errors else ''})"
