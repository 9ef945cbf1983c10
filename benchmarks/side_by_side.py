"""Timing variants side by side: one warm-up each, then interleaved repeats so machine load hits all alike, and
their ratios to a baseline (the one summary every benchmark prints).

Every benchmark also prints each ratio as one line `ratio NAME VALUE [target T meets|misses]`, so that
`make bench` (benchmarks/run_all.sh) can collect them into one summary."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np


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


def ratio_report(times: dict[str, list[float]], targets: dict[str, float | None], base: str = "plain",
                 seed: int = 0) -> dict[str, object]:
    """Seconds per variant and each target variant's ratio to `base`: of the medians (the figure judged against
    its target), of the minima (least touched by load from other processes), and the median of the paired
    per-repeat ratios (repeat i of both ran back to back) with a 95% bootstrap CI over the n repeats. A target of
    None reports the ratio without judging it."""
    rng = np.random.default_rng(seed)
    ratios: dict[str, dict[str, object]] = {}
    for name, target in targets.items():
        paired = np.asarray(times[name]) / np.asarray(times[base])
        boots = np.median(rng.choice(paired, size=(2000, len(paired))), axis=1)
        median_ratio = statistics.median(times[name]) / statistics.median(times[base])
        ratios[name] = {"median_ratio": round(median_ratio, 3),
                        "min_ratio": round(min(times[name]) / min(times[base]), 3),
                        "paired_median": round(float(np.median(paired)), 3),
                        "paired_ci95": [round(float(q), 3) for q in np.quantile(boots, [0.025, 0.975])],
                        "n_repeats": len(paired), "target": target,
                        "meets": None if target is None else median_ratio <= target}
    return {"baseline": base, "median_seconds": {k: round(statistics.median(v), 4) for k, v in times.items()},
            "min_seconds": {k: round(min(v), 4) for k, v in times.items()}, "ratios": ratios}


def ratio_line(report: dict[str, object], labels: dict[str, str]) -> str:
    """One line: each labelled ratio, its CI and n, and whether it meets its target."""
    parts = []
    for name, label in labels.items():
        r = report["ratios"][name]  # type: ignore[index]
        low, high = r["paired_ci95"]
        verdict = "" if r["target"] is None else f"; {'meets' if r['meets'] else 'misses'} {r['target']}x"
        parts.append(f"{label}: {r['median_ratio']}x of {report['baseline']} (paired {r['paired_median']}x "
                     f"[{low}, {high}], n={r['n_repeats']}; min {r['min_ratio']}x{verdict})")
    return "; ".join(parts)


def print_ratio(name: str, value: float, target: float | None = None, lower_is_better: bool = True) -> None:
    """One collectable line: `ratio NAME VALUE`, then the target and whether it is met when there is one."""
    verdict = ""
    if target is not None:
        meets = value <= target if lower_is_better else value >= target
        verdict = f" target {'<=' if lower_is_better else '>='}{target} {'meets' if meets else 'misses'}"
    print(f"ratio {name} {value:.3f}{verdict}")


def print_ratios(report: dict[str, object], prefix: str = "") -> None:
    """The `ratio` line of every ratio in a `ratio_report` (the ratio of medians, judged against its target)."""
    for name, r in report["ratios"].items():  # type: ignore[attr-defined]
        print_ratio(prefix + name, r["median_ratio"], r["target"])
