"""The garbage collector's tuning (app.collector): young collections far apart, never closer."""

from __future__ import annotations

import gc

from app import collector


def test_tune_raises_the_young_threshold_and_keeps_the_others_and_a_higher_one() -> None:
    saved = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        collector.tune()
        assert gc.get_threshold() == (collector.YOUNG, 10, 10)
        gc.set_threshold(200_000, 5, 7)  # set higher by someone else: left so
        collector.tune()
        assert gc.get_threshold() == (200_000, 5, 7)
    finally:
        gc.set_threshold(*saved)
