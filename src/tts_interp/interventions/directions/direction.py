"""Semantic directions from two labelled sets of runs: mean difference, a linear probe's weight, PCA of a pool.

Each run is a prompt (e.g. an instruct or a speaker); its activations at the chosen sites are read on a
selection (segments and/or frames) and every selected row is one sample. A direction file
(file.py) holds one tensor set per site plus metadata (model and weights, sites, method, counts), so a
direction made by `direction` is reused by `steer` (and anything else) and refused for another model or site.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from tts_interp.core.errors import BadInputError, UnknownNameError
from tts_interp.interventions.directions.file import DirectionRecord, read_direction, write_direction

METHODS = ("mean_diff", "probe", "pca")
IDENTICAL_TOLERANCE = 1e-6  # |mean(A) - mean(B)| below this fraction of the mean row norm = no direction


@dataclass
class Direction:
    """Directions per site. `vectors[site]` (H,) is the direction (raw scale; `unit` normalises); PCA also keeps
    `components[site]` (k, H) with `explained[site]` (k,) and the pool mean."""

    model: str
    method: str
    vectors: dict[str, torch.Tensor]
    components: dict[str, torch.Tensor] = field(default_factory=dict)
    explained: dict[str, torch.Tensor] = field(default_factory=dict)
    means: dict[str, torch.Tensor] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)
    weights: dict[str, Any] = field(default_factory=dict)  # the weights' provenance (file.provenance)

    @property
    def sites(self) -> list[str]:
        return list(self.vectors)

    def unit(self, site: str, component: int = 0) -> torch.Tensor:
        """The unit direction at `site` (for PCA: principal component `component`)."""
        if site not in self.vectors:
            raise BadInputError(f"the direction has no vector for site {site!r}; it was made at: "
                                f"{', '.join(self.sites)}")
        if self.method == "pca":
            count = int(self.components[site].shape[0])
            if not 0 <= component < count:
                raise BadInputError(f"PCA component {component} does not exist; the file keeps 0..{count - 1}")
            vector = self.components[site][component]
        else:
            vector = self.vectors[site]
        return (vector / vector.norm()).float()


def mean_difference(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """mean(A rows) - mean(B rows); refused when ~0 (the two sets give the same activations)."""
    diff = a.mean(0) - b.mean(0)
    scale = float(torch.cat([a, b]).norm(dim=-1).mean())
    if float(diff.norm()) <= IDENTICAL_TOLERANCE * max(scale, 1e-30):
        raise BadInputError(f"the two sets give the same mean activation (difference norm {float(diff.norm()):.3g}"
                            f", mean activation norm {scale:.3g}): there is no direction between them. Are the "
                            "two sets identical?")
    return diff


def probe_direction(a: torch.Tensor, b: torch.Tensor, a_groups: list[int], b_groups: list[int]
                    ) -> tuple[torch.Tensor, dict[str, Any]]:
    """Logistic-regression weight separating A (label 1) from B, with train and run-grouped CV accuracy."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedGroupKFold, cross_val_score

    mean_difference(a, b)  # refuse identical sets before fitting
    x = torch.cat([a, b]).double().numpy()
    scale = float(np.linalg.norm(x, axis=1).mean()) or 1.0
    x = x / scale  # one global scale: conditioning only, the weight's direction is unchanged
    y = np.r_[np.ones(len(a)), np.zeros(len(b))]
    groups = np.r_[a_groups, b_groups]
    model = LogisticRegression(max_iter=5000)
    model.fit(x, y)
    stats: dict[str, Any] = {"train_accuracy": float(model.score(x, y)), "cv_accuracy": None}
    folds = min(5, len(set(a_groups)), len(set(b_groups)))
    if folds >= 2:
        scores = cross_val_score(LogisticRegression(max_iter=5000), x, y, groups=groups,
                                 cv=StratifiedGroupKFold(n_splits=folds))
        stats["cv_accuracy"] = float(scores.mean())
        stats["cv"] = f"{folds}-fold, folds split by run"
    else:
        stats["cv"] = "needs at least 2 runs per set"
    weight = torch.as_tensor(model.coef_[0], dtype=torch.float32)
    return weight / weight.norm(), stats


def pca_components(pool: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Top-k principal components (k, H) of a pool of rows (each with its largest entry positive), their
    explained-variance ratios, and the mean."""
    if pool.shape[0] < 2:
        raise BadInputError(f"PCA needs at least 2 rows in the pool, got {pool.shape[0]}")
    mean = pool.mean(0)
    centred = (pool - mean).double()
    _, singular, vt = torch.linalg.svd(centred, full_matrices=False)
    variance = singular**2
    if float(variance.sum()) == 0.0:
        raise BadInputError("the pool has no variance (every row is the same): no principal components")
    k = min(k, int(vt.shape[0]))
    components = vt[:k]
    # an SVD's signs are arbitrary (they differ between CPUs' kernels): each component's largest entry is positive
    biggest = components.gather(1, components.abs().argmax(1, keepdim=True))
    components = components * torch.where(biggest < 0, -1.0, 1.0).to(components.dtype)
    return components.float(), (variance[:k] / variance.sum()).float(), mean


def compute_direction(per_site_a: dict[str, list[torch.Tensor]], per_site_b: dict[str, list[torch.Tensor]],
                      method: str, model: str, n_components: int = 4, info: dict[str, Any] | None = None
                      ) -> Direction:
    """Directions at every site from rows of set A and set B (B may be empty for PCA)."""
    if method not in METHODS:
        raise UnknownNameError("direction method", method, METHODS)
    direction = Direction(model, method, {}, info=dict(info or {}))
    stats: dict[str, dict[str, Any]] = {}
    for site, runs_a in per_site_a.items():
        runs_b = per_site_b.get(site, [])
        a = torch.cat(runs_a) if runs_a else torch.zeros(0)
        b = torch.cat(runs_b) if runs_b else torch.zeros(0, a.shape[-1])
        if a.shape[0] == 0 or (method != "pca" and b.shape[0] == 0):
            raise BadInputError(f"no activation rows were read at {site} for set {'A' if a.shape[0] == 0 else 'B'}"
                                ": the selection picks nothing in those runs (check segments/frames)")
        row_norm = float(torch.cat([a, b]).norm(dim=-1).mean())
        site_stats: dict[str, Any] = {"rows_a": int(a.shape[0]), "rows_b": int(b.shape[0]),
                                      "mean_row_norm": row_norm}
        if method == "mean_diff":
            vector = mean_difference(a, b)
        elif method == "probe":
            groups_a = [i for i, run in enumerate(runs_a) for _ in range(run.shape[0])]
            groups_b = [len(runs_a) + i for i, run in enumerate(runs_b) for _ in range(run.shape[0])]
            vector, probe_stats = probe_direction(a, b, groups_a, groups_b)
            site_stats.update(probe_stats)
        else:
            components, explained, mean = pca_components(torch.cat([a, b]), n_components)
            if b.shape[0]:  # orient each component from B towards A
                signs = torch.sign((a.mean(0) - b.mean(0)) @ components.T)
                components = components * torch.where(signs == 0, torch.ones_like(signs), signs)[:, None]
            direction.components[site], direction.explained[site], direction.means[site] = components, explained, mean
            vector = components[0]
            site_stats["explained_variance_ratio"] = [float(v) for v in explained]
        site_stats["norm"] = float(vector.norm())
        site_stats["relative_norm"] = float(vector.norm()) / row_norm if row_norm else None
        direction.vectors[site] = vector.float().contiguous()
        stats[site] = site_stats
    direction.info["per_site"] = stats
    return direction


def save_direction(direction: Direction, path: Path) -> Path:
    """Write a direction file (format tts-interp-direction/2, see file.py)."""
    tensors: dict[str, torch.Tensor] = {}
    for site in direction.sites:
        tensors[f"{site}::vector"] = direction.vectors[site]
        for name, table in (("components", direction.components), ("explained_variance_ratio", direction.explained),
                            ("mean", direction.means)):
            if site in table:
                tensors[f"{site}::{name}"] = table[site]
    per_site = direction.info.get("per_site", {})
    scale = {site: float(per_site[site]["mean_row_norm"]) for site in direction.sites if site in per_site}
    record = DirectionRecord(direction.model, direction.method, direction.sites, tensors, scale=scale,
                             weights=direction.weights, info=direction.info)
    return write_direction(record, path)


def load_direction(path: Path, model: str | None = None, sites: Sequence[str] = ()) -> Direction:
    """Read a pooled direction file (v1 or v2); fail clearly if it was made for another model, is per step, or
    lacks one of `sites`."""
    record = read_direction(path)
    if model is not None and record.model_id != model:
        raise BadInputError(f"direction {path} was made for model {record.model_id!r}, not {model!r}: "
                            "directions do not carry across models")
    if record.per_step:
        raise BadInputError(f"direction {path} has one vector per solver step; steering needs a pooled direction")
    missing = [s for s in sites if s not in record.sites]
    if missing:
        raise BadInputError(f"direction {path} has no vector for site(s) {', '.join(missing)}; it was made at: "
                            f"{', '.join(record.sites)}")
    direction = Direction(record.model_id, record.method, {}, info=record.info, weights=record.weights)
    for site in record.sites:
        vector = record.tensors[f"{site}::vector"]
        direction.vectors[site] = vector[0] if vector.ndim == 2 else vector
        for name, table in (("components", direction.components), ("explained_variance_ratio", direction.explained),
                            ("mean", direction.means)):
            if (part := record.part(site, name)) is not None:
                table[site] = part
    return direction
