"""Timing variants side by side: one warm-up each, then interleaved repeats so machine load hits all alike."""

from __future__ import annotations

import time
from collections.abc import Callable


def interleaved(variants: dict[str, Callable[[], object]], repeats: int) -> dict[str, list[float]]:
    """Wall seconds of every variant per repeat (variant order cycles: a, b, c, a, b, c, ...)."""
    for fn in variants.values():  # warm-up: nnsight wrapping, allocator, caches
        fn()
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(repeats):
        for name, fn in variants.items():
            started = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - started)
    return times
