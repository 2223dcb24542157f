"""The garbage collector tuned for a console holding a large cluster in memory.

At 10,000 pods the cache, its World and the policies are about a million long-lived objects. With
CPython's default thresholds (700, 10, 10) a request that builds tens of thousands of short-lived
objects (a review's impact, a long page) runs young collections every 700 allocations; what is still
alive then is promoted, and once the promoted objects reach a quarter of the long-lived ones a full
collection walks the whole million: one to two seconds, the review step's p95 at large scale.
A larger first threshold lets a request's objects die young (by reference count) before any
collection sees them; cycles are still collected, a little later.
"""

from __future__ import annotations

import gc

YOUNG = 50_000  # allocations between young collections (CPython's default: 700)


def tune() -> None:
    """Raise the first generation's threshold to ``YOUNG`` (the other two kept)."""
    young, middle, old = gc.get_threshold()
    gc.set_threshold(max(YOUNG, young), middle, old)
