"""Numbers from distributions and samples: KL, Jensen-Shannon, entropy, ranks, and bootstrap confidence intervals.

All distribution functions take log-probabilities (float32, last axis = vocabulary) so that one
`log_softmax` serves every statistic of a lens, a patch or a prompt comparison.
"""

from __future__ import annotations

import numpy as np
import torch


def log_probs(logits: torch.Tensor) -> torch.Tensor:
    """float32 log-softmax over the last axis."""
    return torch.log_softmax(logits.float(), dim=-1)


def kl(logp_ref: torch.Tensor, logp: torch.Tensor) -> torch.Tensor:
    """KL(ref || other) in nats over the last axis."""
    return (logp_ref.exp() * (logp_ref - logp)).sum(-1).clamp_min(0.0)


def js(logp: torch.Tensor, logq: torch.Tensor) -> torch.Tensor:
    """Jensen-Shannon divergence in nats (symmetric, at most log 2)."""
    logm = torch.logaddexp(logp, logq) - np.log(2.0)
    return 0.5 * (kl(logp, logm) + kl(logq, logm))


def rank_of(logits: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """How many entries beat `index` (0 = it is the top choice); `index` has the shape of logits[..., 0]."""
    chosen = logits.gather(-1, index.unsqueeze(-1))
    return (logits > chosen).sum(-1)


class DistributionSummary:
    """One softmax of a batch of logits (..., V), kept for several statistics without recomputing exp/log.

    A lens compares many layers with one final distribution, so each softmax is computed once.
    """

    def __init__(self, logits: torch.Tensor):
        self.logp = log_probs(logits)
        self.p = self.logp.exp()
        self.top = logits.argmax(-1)
        self.entropy = -(self.p * self.logp).sum(-1)

    def kl_to(self, other: DistributionSummary) -> torch.Tensor:
        """KL(self || other) in nats."""
        return (-self.entropy - (self.p * other.logp).sum(-1)).clamp_min(0.0)


def bootstrap_mean_ci(values: np.ndarray, n_boot: int = 1000, level: float = 0.95, seed: int = 0
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean over the last axis with a percentile bootstrap CI (resampling that axis); seeded, so reproducible.

    `values` is (..., n); returns (mean, low, high), each of shape values.shape[:-1].
    """
    values = np.asarray(values, dtype=np.float64)
    n = values.shape[-1]
    mean = values.mean(-1)
    if n < 2:
        return mean, mean.copy(), mean.copy()
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, n, size=(n_boot, n))
    boots = values[..., picks].mean(-1)  # (..., n_boot)
    tail = (1.0 - level) / 2.0
    return mean, np.quantile(boots, tail, axis=-1), np.quantile(boots, 1.0 - tail, axis=-1)


def block_length(values: np.ndarray) -> int:
    """A block length for the moving-block bootstrap of autocorrelated series (..., n): the first lag where
    the mean autocorrelation drops below 0.1, at least n^(1/3) and at most n // 2."""
    values = np.asarray(values, dtype=np.float64)
    n = values.shape[-1]
    if n < 4:
        return 1
    centred = values.reshape(-1, n) - values.reshape(-1, n).mean(-1, keepdims=True)
    var = np.maximum((centred**2).sum(-1), 1e-300)
    floor, cap = int(np.ceil(n ** (1 / 3))), n // 2
    for lag in range(1, cap + 1):
        if float(np.mean((centred[:, lag:] * centred[:, :-lag]).sum(-1) / var)) < 0.1:
            return int(min(cap, max(floor, lag)))
    return cap


def block_bootstrap_mean_ci(values: np.ndarray, n_boot: int = 1000, level: float = 0.95, seed: int = 0,
                            block: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Mean over the last axis with a circular moving-block bootstrap CI (blocks of `block` consecutive
    frames keep the autocorrelation that an i.i.d. resample of frames would destroy); also the block used.
    With few independent stretches (n / block ~ 10) it still under-covers somewhat (about 80% for a nominal
    95% on AR(1), phi 0.9, n 200), far less than an i.i.d. frame bootstrap (about 30%).
    """
    values = np.asarray(values, dtype=np.float64)
    n = values.shape[-1]
    block = block or block_length(values)
    mean = values.mean(-1)
    if n < 2:
        return mean, mean.copy(), mean.copy(), block
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, n, size=(n_boot, -(-n // block)))
    picks = ((starts[..., None] + np.arange(block)) % n).reshape(n_boot, -1)[:, :n]
    boots = values[..., picks].mean(-1)
    tail = (1.0 - level) / 2.0
    return mean, np.quantile(boots, tail, axis=-1), np.quantile(boots, 1.0 - tail, axis=-1), block
