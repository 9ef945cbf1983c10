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
