"""What an SAE's numbers mean next to simpler reconstructions of the same activations.

- PCA fitted on the same training rows: its held-out FVE with as many components as the TopK SAE's k (each
  frame then carries k numbers, as the SAE's), and the smallest PCA rank that reaches the SAE's FVE;
- splices for faithfulness: the PCA reconstruction, the training mean (mean ablation) and the SAE with its own
  error added back (x exactly, up to float rounding: transcripts equal to clean show the splice path is sound,
  so a spliced SAE that ruins the transcript does so by its reconstruction error, not by a bug).
Every reconstruction is a module x -> x_hat in the site's units, spliced like an SAE (features/edits.py).
"""

from __future__ import annotations

from pathlib import Path

import torch

from tts_interp.interventions.directions.direction import pca_components
from tts_interp.interventions.features.shards import iter_rows

FIT_ROWS = 50_000  # training rows for the PCA (the first ones; enough for a 384- or 512-wide site)


class PCAReconstruction(torch.nn.Module):
    """mean + the projection of x - mean onto the first k principal components."""

    def __init__(self, mean: torch.Tensor, components: torch.Tensor):
        super().__init__()
        self.register_buffer("mean", mean.float())
        self.register_buffer("components", components.float())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        centred = x - self.mean
        return self.mean + (centred @ self.components.T) @ self.components


class MeanReconstruction(torch.nn.Module):
    """The training mean at every frame: a mean ablation of the whole site."""

    def __init__(self, mean: torch.Tensor):
        super().__init__()
        self.register_buffer("mean", mean.float())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.mean.expand_as(x)


class WithError(torch.nn.Module):
    """A reconstruction plus its own error term: x_hat + (x - x_hat)."""

    def __init__(self, inner: torch.nn.Module):
        super().__init__()
        self.inner = inner

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x_hat = self.inner(x)
        return x_hat + (x - x_hat)


def training_rows(shard_dir: Path, rows: int = FIT_ROWS) -> torch.Tensor:
    batches, count = [], 0
    for batch in iter_rows(shard_dir, "train", 4096):
        batches.append(batch)
        count += len(batch)
        if count >= rows:
            break
    return torch.cat(batches)[:rows]


@torch.no_grad()
def heldout_fve(reconstruct: torch.nn.Module, shard_dir: Path, batch_size: int = 4096) -> float | None:
    """1 - SSE / (sum of squared deviations from the held-out mean) of `reconstruct` on the held-out rows."""
    residual, total_sq, count, sums = 0.0, 0.0, 0, None
    for x in iter_rows(shard_dir, "heldout", batch_size):
        residual += float((x - reconstruct(x)).square().sum())
        sums = x.sum(0) if sums is None else sums + x.sum(0)
        total_sq += float(x.square().sum())
        count += len(x)
    if count == 0 or sums is None:
        return None
    return 1.0 - residual / (total_sq - float(sums.square().sum()) / count)


def pca_baselines(shard_dir: Path, k: int, sae_fve: float | None) -> tuple[dict, PCAReconstruction]:
    """Held-out FVE of a k-component PCA (k = the TopK SAE's active features) and the smallest rank whose
    PCA reaches the SAE's held-out FVE; the k-component PCA for the faithfulness splice."""
    rows = training_rows(shard_dir)
    full, _, mean = pca_components(rows, min(rows.shape))
    same_k = PCAReconstruction(mean, full[:k])
    rank = None
    if sae_fve is not None:
        lo, hi = 1, int(full.shape[0])
        while lo < hi:  # FVE grows with the rank: bisect for the first rank reaching the SAE's
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if heldout_fve(PCAReconstruction(mean, full[:mid]), shard_dir) >= sae_fve \
                else (mid + 1, hi)
        rank = lo if heldout_fve(PCAReconstruction(mean, full[:lo]), shard_dir) >= sae_fve else None
    return {"pca_same_k": {"components": k, "fve": heldout_fve(same_k, shard_dir)},
            "pca_rank_reaching_sae_fve": rank, "fit_rows": int(rows.shape[0])}, same_k


def _unit_rows(weight: torch.Tensor) -> torch.Tensor:
    """Decoder columns (H, F) as unit rows (F, H)."""
    rows = weight.detach().T.float()
    return rows / rows.norm(dim=1, keepdim=True).clamp_min(1e-12)


def seed_stability(a: torch.nn.Module, b: torch.nn.Module, threshold: float = 0.7, seed: int = 0) -> dict:
    """Share of SAE `a`'s features whose decoder direction has a match in SAE `b` (trained with another seed):
    the largest cosine to any of b's directions at least `threshold`. Chance: the same share against a random
    dictionary of b's size (unit Gaussian directions)."""
    ours, theirs = _unit_rows(a.ae.decoder.weight), _unit_rows(b.ae.decoder.weight)
    best = (ours @ theirs.T).max(dim=1).values
    generator = torch.Generator().manual_seed(seed)
    random = torch.randn(theirs.shape, generator=generator)
    chance = (ours @ (random / random.norm(dim=1, keepdim=True)).T).max(dim=1).values
    return {"matched_share": float((best >= threshold).float().mean()), "threshold": threshold,
            "median_best_cosine": float(best.median()), "n_features": int(len(best)),
            "chance_matched_share": float((chance >= threshold).float().mean()),
            "chance_median_best_cosine": float(chance.median()),
            "definition": "a feature of seed A is matched when some feature of seed B has decoder cosine >= "
                          "threshold; chance: against random unit directions"}
