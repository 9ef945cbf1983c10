"""Semantic directions from two labelled sets of runs: mean difference, a linear probe's weight, PCA of a pool.

Each run is a prompt (e.g. an instruct or a speaker); its activations at the chosen sites are read on a
selection (segments and/or frames) and every selected row is one sample. A direction file is safetensors
with one tensor set per site plus metadata (model, sites, method, counts, hidden size), so a direction made
by `direction` is reused by `steer` (and anything else) and refused when loaded for another model or site.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from tts_interp.core.errors import BadInputError, UnknownNameError
from tts_interp.interventions.session import Session
from tts_interp.interventions.prompts import prepare_checked
from tts_interp.models.qwen3_tts.adapter import GenerationSettings
from tts_interp.models.qwen3_tts.prompt import PreparedPrompt, PromptRequest
from tts_interp.tracing.engine import Read
from tts_interp.models.qwen3_tts.runs import generate, teacher_force
from tts_interp.tracing.selection import Selection, check_segments

METHODS = ("mean_diff", "probe", "pca")
FORMAT = "tts-interp-direction/1"
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


def prepare_runs(session: Session, requests: Sequence[PromptRequest], selection: Selection
                 ) -> list[PreparedPrompt]:
    """Prepare every prompt of a set and check the selection's segment names against each (before any run)."""
    prompts = [prepare_checked(session.adapter, request) for request in requests]
    for prompt in prompts:
        check_segments(selection, prompt.segments)
    return prompts


def collect_rows(session: Session, prompts: Sequence[PreparedPrompt], sites: Sequence[str], selection: Selection,
                 codes: torch.Tensor | None = None, max_new_tokens: int = 50,
                 advance: Callable[[int], None] | None = None) -> dict[str, list[torch.Tensor]]:
    """Per site, one (rows, H) tensor per run: teacher-forced on `codes` if given, else read during greedy
    generation."""
    adapter = session.adapter
    reads = [Read(site, selection) for site in sites]
    per_site: dict[str, list[torch.Tensor]] = {site: [] for site in sites}
    for prompt in prompts:
        if codes is not None:
            store = teacher_force(session.engine, adapter, prompt, codes, reads=reads).store
        else:
            settings = GenerationSettings(max_new_tokens=max_new_tokens, greedy=True)
            store = generate(session.engine, adapter, prompt, settings, reads=reads).store
        for site in sites:
            per_site[site].append(store.get(site).values.float() if site in store.sites()
                                  else torch.zeros(0, adapter.sites()[site].dim))
        if advance:
            advance(1)
    return per_site


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
    """Top-k principal components (k, H) of a pool of rows, their explained-variance ratios, and the mean."""
    if pool.shape[0] < 2:
        raise BadInputError(f"PCA needs at least 2 rows in the pool, got {pool.shape[0]}")
    mean = pool.mean(0)
    centred = (pool - mean).double()
    _, singular, vt = torch.linalg.svd(centred, full_matrices=False)
    variance = singular**2
    if float(variance.sum()) == 0.0:
        raise BadInputError("the pool has no variance (every row is the same): no principal components")
    k = min(k, int(vt.shape[0]))
    return vt[:k].float(), (variance[:k] / variance.sum()).float(), mean


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
    """Write a direction file (safetensors, with metadata)."""
    tensors: dict[str, torch.Tensor] = {}
    for site in direction.sites:
        tensors[f"{site}::vector"] = direction.vectors[site]
        for name, table in (("components", direction.components), ("explained_variance_ratio", direction.explained),
                            ("mean", direction.means)):
            if site in table:
                tensors[f"{site}::{name}"] = table[site].float().contiguous()
    hidden = {site: int(v.shape[-1]) for site, v in direction.vectors.items()}
    metadata = {"format": FORMAT, "model": direction.model, "method": direction.method,
                "sites": json.dumps(direction.sites), "hidden_size": json.dumps(hidden),
                "info": json.dumps(direction.info, default=str)}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(path), metadata=metadata)
    return path


def load_direction(path: Path, model: str | None = None, sites: Sequence[str] = ()) -> Direction:
    """Read a direction file; fail clearly if it was made for another model or lacks one of `sites`."""
    from safetensors import safe_open

    path = Path(path)
    if not path.is_file():
        raise BadInputError(f"direction file {path} does not exist (make one with `tts-interp direction`)")
    try:
        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
        tensors = load_file(str(path))
    except (SafetensorError, OSError) as exc:
        raise BadInputError(f"{path} is not a safetensors direction file: {exc}") from None
    if metadata.get("format") != FORMAT:
        raise BadInputError(f"{path} is not a tts-interp direction file (format {metadata.get('format')!r}, "
                            f"expected {FORMAT!r})")
    if model is not None and metadata["model"] != model:
        raise BadInputError(f"direction {path} was made for model {metadata['model']!r}, not {model!r}: "
                            "directions do not carry across models")
    saved_sites = json.loads(metadata["sites"])
    missing = [s for s in sites if s not in saved_sites]
    if missing:
        raise BadInputError(f"direction {path} has no vector for site(s) {', '.join(missing)}; it was made at: "
                            f"{', '.join(saved_sites)}")
    direction = Direction(metadata["model"], metadata["method"], {}, info=json.loads(metadata["info"]))
    for site in saved_sites:
        direction.vectors[site] = tensors[f"{site}::vector"]
        for name, table in (("components", direction.components), ("explained_variance_ratio", direction.explained),
                            ("mean", direction.means)):
            if f"{site}::{name}" in tensors:
                table[site] = tensors[f"{site}::{name}"]
    return direction
