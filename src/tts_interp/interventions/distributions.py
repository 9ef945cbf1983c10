"""Numbers from distributions: KL, Jensen-Shannon, entropy and ranks (bootstrap CIs live in core/stats.py).

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
    """One softmax of a batch of logits (..., V), kept to compare many other logits with (a lens compares every
    layer with one final distribution), with its entropy and top entry.

    The passes over the vocabulary are what a lens costs on a CPU, so each is made once: with p = softmax(x) and
    lse = logsumexp(x), H(p) = lse - p . x and lse = max(x) - log(max(p)) (the largest entry of p is
    exp(max(x) - lse)); `max` gives the top entry too (faster than argmax on a CPU).
    """

    def __init__(self, logits: torch.Tensor):
        x = logits.float()
        self.p = torch.softmax(x, dim=-1)
        top = x.max(-1)
        self.top = top.indices
        self.entropy = _log_partition(self.p, top.values) - torch.linalg.vecdot(self.p, x)

    def compare(self, logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """KL(self || softmax(logits)) in nats, whether `logits` has this distribution's top entry as its maximum,
        and the entropy of softmax(logits).

        log softmax(x) = x - lse, so KL = -H(self) - self.p . x + lse; the top entries agree when x at self.top
        reaches max(x) (no argmax over x).
        """
        x = logits.float()
        p = torch.softmax(x, dim=-1)
        x_max = x.amax(-1)
        lse = _log_partition(p, x_max)
        entropy = lse - torch.linalg.vecdot(p, x)
        kl = (-self.entropy - torch.linalg.vecdot(self.p, x) + lse).clamp_min(0.0)
        agrees = x.gather(-1, self.top.unsqueeze(-1)).squeeze(-1) >= x_max
        return kl, agrees, entropy


def _log_partition(p: torch.Tensor, x_max: torch.Tensor) -> torch.Tensor:
    """logsumexp(x) from p = softmax(x) and max(x): the largest entry of p is exp(max(x) - lse)."""
    return x_max - p.amax(-1).log()
