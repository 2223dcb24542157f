"""Rate limiting of API callers: a token bucket per caller.

The buckets live in this process's memory: with several console processes each allows its own
budget (a caller may make up to N times the rate across N processes). A full bucket holds
``burst`` requests and refills at ``rate`` per second; an empty one answers 429 with
``Retry-After``.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from dataclasses import dataclass

from app.api.problems import TooManyRequests

MAX_BUCKETS = 10_000  # least recently used buckets beyond this are forgotten (they were full anyway)


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    def __init__(self, rate: float, burst: int) -> None:
        self.rate = max(rate, 1e-6)
        self.burst = max(1, burst)
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def take(self, key: str, now: float | None = None) -> None:
        """Spend one request of ``key``'s budget; TooManyRequests when none is left."""
        now = time.monotonic() if now is None else now
        bucket = self._buckets.pop(key, None) or _Bucket(float(self.burst), now)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.at) * self.rate)
        bucket.at = now
        self._buckets[key] = bucket
        while len(self._buckets) > MAX_BUCKETS:
            self._buckets.popitem(last=False)
        if bucket.tokens < 1:
            wait = max(1, math.ceil((1 - bucket.tokens) / self.rate))
            raise TooManyRequests(
                f"rate limit exceeded: {self.burst} requests, then {self.rate:g} per "
                f"second; retry in {wait} s",
                wait,
            )
        bucket.tokens -= 1
