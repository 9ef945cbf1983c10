"""Statistics every experiment and eval uses: bootstrap CIs with one contract, permutation p-values, BH.

One contract for every bootstrap: a seeded `numpy.random.Generator` draws the resamples, each resample gives a
statistic, and `percentile_interval` turns the resampled statistics into a two-sided percentile interval at
`level`. Pick the resampling unit that is independent:
- `mean_ci`: the mean of independent items, with a Student t interval (a percentile bootstrap of a mean over 3
  items cannot reach past their min and max: its "95%" interval covered 76% of normal samples, the t one 95%);
- `bootstrap_ci`: rows are independent (resample items; a ratio of sums such as a corpus WER, or a mean);
- `cluster_bootstrap`: rows come in clusters (frames of one utterance): resample whole clusters;
- `nested_bootstrap`: clusters within clusters (trials of a clip, clips of a voice): resample the outer units,
  then the inner units within each drawn outer unit;
- `batch_means_ci`: rows form a series (frames in time): a t interval over the means of a few long batches
  (`batch_count` picks how many from the autocorrelation), which covers where a moving-block bootstrap does not;
- `stratified_bootstrap`: several samples each resampled within itself (target and non-target trials).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

N_BOOT = 1000
BATCH_TIMES = 6  # autocorrelation times per batch of batch_means_ci
LEVEL = 0.95


def percentile_interval(boots: Any, level: float = LEVEL, axis: int = -1) -> tuple[Any, Any]:
    """(low, high) percentile interval of resampled statistics along `axis`."""
    tail = round((1.0 - level) / 2.0, 12)  # 0.025 exactly for a 95% interval
    boots = np.asarray(boots, dtype=np.float64)
    return np.quantile(boots, tail, axis=axis), np.quantile(boots, 1.0 - tail, axis=axis)


def bootstrap_ci(values: Any, n_boot: int = N_BOOT, level: float = LEVEL, seed: int = 0,
                 denominators: Sequence[float] | None = None) -> tuple[Any, Any, Any]:
    """Estimate and percentile bootstrap CI, resampling the last axis of `values` (..., n) as independent items.

    The estimate is the mean over that axis, or with `denominators` (n,) the ratio sum(values) / sum(denominators).
    Returns (estimate, low, high), each of shape values.shape[:-1]; with fewer than 2 items low = high = estimate.
    """
    values = np.asarray(values, dtype=np.float64)
    n = values.shape[-1]
    den = None if denominators is None else np.asarray(denominators, dtype=np.float64)
    estimate = values.mean(-1) if den is None else values.sum(-1) / max(float(den.sum()), 1e-12)
    if n < 2:
        return estimate, np.copy(estimate), np.copy(estimate)
    picks = np.random.default_rng(seed).integers(0, n, size=(n_boot, n))
    boots = values[..., picks].mean(-1) if den is None else values[..., picks].sum(-1) / np.maximum(
        den[picks].sum(-1), 1e-12)
    low, high = percentile_interval(boots, level)
    return estimate, low, high


def t_half_width(values: Any, level: float = LEVEL) -> float:
    """Half the width of the Student t interval of the mean of independent `values` (n - 1 degrees of freedom)."""
    from scipy import stats

    values = np.asarray(values, dtype=np.float64)
    n = len(values)
    return float(stats.t.ppf(0.5 + level / 2, n - 1) * values.std(ddof=1) / np.sqrt(n))


def mean_ci(values: Any, level: float = LEVEL) -> tuple[float, float, float]:
    """(mean, low, high): the t interval of a mean of independent items, exact for normal items at any n and
    close to the bootstrap's at large n (tests/core/test_stats.py measures its coverage at n = 3); with fewer
    than 2 items low = high = mean."""
    values = np.asarray(values, dtype=np.float64)
    estimate = float(values.mean())
    if len(values) < 2:
        return estimate, estimate, estimate
    half = t_half_width(values, level)
    return estimate, estimate - half, estimate + half


def cluster_bootstrap(clusters: np.ndarray, statistic: Callable[[np.ndarray], Any], n_boot: int,
                      rng: np.random.Generator) -> list[Any]:
    """Resample whole clusters with replacement; `statistic(rows)` of each resample (None results are dropped)."""
    names = np.unique(clusters)
    members = {c: np.flatnonzero(clusters == c) for c in names}
    out = []
    for _ in range(n_boot):
        rows = np.concatenate([members[c] for c in rng.choice(names, size=len(names), replace=True)])
        value = statistic(rows)
        if value is not None:
            out.append(value)
    return out


def nested_bootstrap(outer: np.ndarray, inner: np.ndarray, statistic: Callable[[np.ndarray], Any], n_boot: int,
                     rng: np.random.Generator) -> list[Any]:
    """Two-stage bootstrap: draw outer units (voices) with replacement, then within each drawn unit draw its inner
    units (clips) with replacement; every row of a drawn inner unit goes along. `statistic(rows)` of each resample
    (None results are dropped). With one inner unit per outer unit it is `cluster_bootstrap` over the outer units."""
    outer, inner = np.asarray(outer), np.asarray(inner)
    units = {o: {i: np.flatnonzero((outer == o) & (inner == i)) for i in np.unique(inner[outer == o])}
             for o in np.unique(outer)}
    names = list(units)
    out = []
    for _ in range(n_boot):
        parts = []
        for o in rng.choice(len(names), size=len(names), replace=True):
            members = units[names[o]]
            keys = list(members)
            parts += [members[keys[i]] for i in rng.choice(len(keys), size=len(keys), replace=True)]
        value = statistic(np.concatenate(parts))
        if value is not None:
            out.append(value)
    return out


def integrated_time(values: Any) -> float:
    """The integrated autocorrelation time of series (..., n): 1 + 2 x the sum of the mean autocorrelation over
    lags until it first drops below 0.05 (about how many rows make one independent observation)."""
    values = np.asarray(values, dtype=np.float64)
    n = values.shape[-1]
    centred = values.reshape(-1, n) - values.reshape(-1, n).mean(-1, keepdims=True)
    var = np.maximum((centred**2).sum(-1), 1e-300)
    total = 1.0
    for lag in range(1, n // 2):
        rho = float(np.mean((centred[:, lag:] * centred[:, :-lag]).sum(-1) / var))
        if rho < 0.05:
            break
        total += 2.0 * rho
    return total


def batch_count(values: Any) -> int:
    """How many batches for `batch_means_ci`: about one per BATCH_TIMES integrated autocorrelation times, 4 to 10
    (with fewer rows than 8, one row a batch)."""
    n = np.asarray(values).shape[-1]
    if n < 8:
        return max(n, 1)
    return int(np.clip(n // (BATCH_TIMES * integrated_time(values)), 4, 10))


def batch_means_ci(values: Any, batches: int, level: float = LEVEL) -> tuple[float, float, float]:
    """Mean of a series with a t interval over the means of `batches` non-overlapping consecutive batches (the
    last rows that do not fill a batch count in the mean only). Batches many autocorrelation times long are
    close to independent, and the t quantile with batches - 1 degrees of freedom pays for having few of them.
    Measured coverage of the 95% interval on AR(1) series (tests/interventions/test_block_bootstrap.py): >= 0.93
    where the series is at least ~10 autocorrelation times long."""
    values = np.asarray(values, dtype=np.float64)
    n = len(values)
    estimate = float(values.mean()) if n else float("nan")
    if n < 2 or batches < 2:
        return estimate, estimate, estimate
    size = n // batches
    half = t_half_width(values[: size * batches].reshape(batches, size).mean(-1), level)
    return estimate, estimate - half, estimate + half


def stratified_bootstrap(samples: Sequence[np.ndarray], statistic: Callable[..., float], n_boot: int,
                         rng: np.random.Generator) -> list[float]:
    """Resample each sample within itself (same sizes) and apply `statistic(*resampled)`."""
    return [statistic(*[rng.choice(s, len(s)) for s in samples]) for _ in range(n_boot)]


def permutation_p_value(observed: float, null: Sequence[float]) -> float:
    """One-sided p-value of `observed` against a permutation null (>=), with the +1 correction."""
    null_array = np.asarray(null, dtype=np.float64)
    return float((1 + np.sum(null_array >= observed)) / (1 + len(null_array)))


def control_rank(observed: float, controls: Sequence[float]) -> dict[str, Any]:
    """Where an effect stands among random controls of the same size: the share of controls below it
    (percentile), the one-sided p (1 + controls at or above it) / (1 + n), and the smallest p n controls allow."""
    values = np.asarray([c for c in controls if c is not None], dtype=np.float64)
    if observed is None or len(values) == 0:
        return {"n_controls": int(len(values)), "percentile": None, "p_value": None, "min_p": None}
    return {"n_controls": int(len(values)), "percentile": float(np.mean(values < observed)),
            "p_value": permutation_p_value(observed, values), "min_p": smallest_p(len(values), np.inf),
            "controls_median": float(np.median(values))}


def smallest_p(n_permutations: int, distinct: float) -> float:
    """The smallest p-value a permutation test can give: 1 / (permutations + 1), and never below 1 / the number
    of distinct relabellings of the units (3 units of 3 labels: 6, so p >= 1/6 however many draws)."""
    return float(max(1.0 / (n_permutations + 1), 1.0 / max(distinct, 1.0)))


def distinct_relabellings(labels: Sequence[Any]) -> float:
    """How many distinct assignments of these labels to their units exist: n! / prod(count!) (the multinomial)."""
    from math import lgamma

    counts = np.unique(np.asarray(labels, dtype=object).astype(str), return_counts=True)[1]
    log = lgamma(len(labels) + 1) - sum(lgamma(c + 1) for c in counts)
    return float(np.exp(min(log, 700.0)))


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """False-discovery-rate adjusted p-values (q-values) for a family of tests, e.g. all feature sets of one
    task: probing 2 x n_codebooks feature sets at once makes some p < 0.05 by chance alone."""
    p = np.asarray(p_values, dtype=float)
    order = np.argsort(p)
    scaled = p[order] * len(p) / np.arange(1, len(p) + 1)
    adjusted = np.minimum.accumulate(scaled[::-1])[::-1]
    out = np.empty_like(p)
    out[order] = np.minimum(adjusted, 1.0)
    return out.tolist()
