"""h-space directions: the mean difference of two labelled groups (per step or pooled) and principal components.

Following "On the Semantic Latent Space of Diffusion-Based Text-to-Speech Models" (arXiv 2402.12423): the
bottleneck activations of a frozen denoiser (`denoiser.hspace`) carry vocal attributes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from tts_interp.core.errors import BadInputError
from tts_interp.interventions.directions.direction import pca_components
from tts_interp.interventions.directions.file import DirectionRecord, read_direction, write_direction
from tts_interp.interventions.hspace.collection import Collection
from tts_interp.interventions.session import Session

MIN_PER_GROUP = 2
SAME_MEAN_TOLERANCE = 1e-6  # a mean difference below this fraction of the mean norm is no direction


@dataclass
class Direction:
    """Unit direction(s) at a site: one per step (`per_step`) or one pooled, with the mean row norm as scale."""

    model_id: str
    site: str
    kind: str  # "mean_difference" | "pca"
    vectors: torch.Tensor  # (n_steps or 1, dim), unit norm (rows may be 0 where a step had no difference)
    timesteps: tuple[float, ...]
    per_step: bool
    mean_norm: float
    info: dict[str, Any] = field(default_factory=dict)
    weights: dict[str, Any] = field(default_factory=dict)  # the weights' provenance (directions/file.provenance)

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def save(self, path: Path) -> Path:
        """Write a direction file (format tts-interp-direction/2, see interventions/directions/file.py)."""
        record = DirectionRecord(self.model_id, self.kind, [self.site], {f"{self.site}::vector": self.vectors},
                                 self.per_step, list(self.timesteps), {self.site: self.mean_norm}, self.weights,
                                 self.info)
        return write_direction(record, path)

    @classmethod
    def load(cls, path: Path) -> Direction:
        """Read a one-site direction file (v1 h-space layout, or v2 with its site's mean norm)."""
        record = read_direction(path)
        if len(record.sites) != 1 or record.sites[0] not in record.scale:
            raise BadInputError(f"{path} holds directions at {', '.join(record.sites)} without one site's mean norm; "
                                "h-space editing needs a one-site direction from `tts-interp hspace direction`")
        site = record.sites[0]
        vectors = record.tensors[f"{site}::vector"]
        timesteps = tuple(record.timesteps) if record.per_step else (float("nan"),)
        return cls(record.model_id, site, record.method, vectors if vectors.ndim == 2 else vectors[None], timesteps,
                   record.per_step, float(record.scale[site]), record.info, record.weights)

    def check_fits(self, session: Session) -> None:
        """Refuse a direction made on another model, or one whose site or size does not match this model."""
        if self.model_id != session.model:
            raise BadInputError(f"this direction was made on model {self.model_id!r}, not {session.model!r}; directions "
                                "do not transfer between models")
        if self.site not in session.adapter.sites():
            raise BadInputError(f"this direction is for site {self.site!r}, which {session.model} does not have")
        if self.dim != session.site_dim(self.site):
            raise BadInputError(f"this direction has size {self.dim}; site {self.site} of {session.model} has "
                                f"{session.site_dim(self.site)}")


def _check_groups(collection: Collection, positive: str, negative: str) -> tuple[torch.Tensor, torch.Tensor]:
    if positive == negative:
        raise BadInputError(f"the two groups are the same label {positive!r}; a direction needs two different groups")
    labels = np.array(collection.labels)
    counts = {label: int((labels == label).sum()) for label in (positive, negative)}
    for label, count in counts.items():
        if count < MIN_PER_GROUP:
            raise BadInputError(f"group {label!r} has {count} utterance(s); a direction needs at least {MIN_PER_GROUP} "
                                f"per group (groups present: {sorted(set(collection.labels))})")
    pos = [r for r, label in zip(collection.requests, collection.labels, strict=True) if label == positive]
    neg = [r for r, label in zip(collection.requests, collection.labels, strict=True) if label == negative]
    if pos and sorted(map(str, pos)) == sorted(map(str, neg)):
        raise BadInputError(f"groups {positive!r} and {negative!r} hold the same utterances; no direction separates them")
    return torch.from_numpy(labels == positive), torch.from_numpy(labels == negative)


def _unit_rows(vectors: torch.Tensor, scale: float) -> tuple[torch.Tensor, list[float]]:
    norms = vectors.norm(dim=1)
    keep = norms > SAME_MEAN_TOLERANCE * max(scale, 1e-30)
    units = torch.where(keep[:, None], vectors / norms.clamp_min(1e-30)[:, None], torch.zeros_like(vectors))
    return units, [float(n) for n in norms]


def mean_difference(collection: Collection, positive: str, negative: str, per_step: bool = False) -> Direction:
    """Mean(positive) - mean(negative) of the per-utterance time-means, per step or pooled over steps."""
    pos, neg = _check_groups(collection, positive, negative)
    means = collection.means if per_step else collection.means.mean(1, keepdim=True)
    diff = means[pos].mean(0) - means[neg].mean(0)
    units, raw = _unit_rows(diff, collection.mean_norm)
    if not bool(units.abs().sum() > 0):
        raise BadInputError(f"groups {positive!r} and {negative!r} give the same mean h-space at {collection.site} "
                            f"(difference {max(raw):.3g} against mean norm {collection.mean_norm:.3g}); no direction")
    info = {"positive": positive, "negative": negative, "n_positive": int(pos.sum()), "n_negative": int(neg.sum()),
            "difference_norm": raw, "difference_over_mean_norm": [r / collection.mean_norm for r in raw]}
    timesteps = collection.timesteps if per_step else (float("nan"),)
    return Direction(collection.model_id, collection.site, "mean_difference", units, timesteps, per_step,
                     collection.mean_norm, info)


def pca(collection: Collection, n_components: int = 4) -> tuple[list[Direction], list[float]]:
    """Principal components of the per-utterance means (pooled over steps), with explained-variance ratios."""
    pool = collection.means.mean(1).double()
    if pool.shape[0] < 2:
        raise BadInputError(f"PCA needs at least 2 utterances, got {pool.shape[0]}")
    if float((pool - pool.mean(0)).abs().max()) == 0.0:
        raise BadInputError(f"all {pool.shape[0]} utterances give the same mean h-space; PCA has nothing to explain")
    components, explained, _ = pca_components(pool, n_components)
    ratios = [float(v) for v in explained]
    directions = [Direction(collection.model_id, collection.site, "pca", components[i:i + 1], (float("nan"),), False,
                            collection.mean_norm, {"component": i, "explained_variance_ratio": ratios[i]})
                  for i in range(len(ratios))]
    return directions, ratios
