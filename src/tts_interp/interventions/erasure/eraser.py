"""Concept erasers at a site: LEACE and its two baselines, as affine edits x -> x - alpha * P (x - centre).

- `leace`: least-squares concept erasure (Belrose et al. 2023, the `concept-erasure` package): after the edit
  no linear classifier does better than a constant at predicting the label from the site's rows (on the rows
  it was fitted on), with the least mean squared change to the rows.
- `mean_diff`: the orthogonal projection onto the span of the class-mean differences, centred at the pooled
  mean. For two classes its basis is today's mean-difference direction (`direction --method mean_diff`), and
  alpha 1 is `--op project_out` of it about the pooled mean.
- `random`: a random subspace of the same rank as LEACE's, seeded (the control: how much does removing any
  that many dimensions cost?).
- `pca<k>`: the orthogonal projection onto the top k principal components of the class means (the k directions
  along which the fit voices differ most), centred at the pooled mean; `random<k>` is its control of rank k.
- `mean`: every row replaced by the pooled mean (P = identity): the upper bound, nothing of the site is left.

Every eraser is P = left @ right (left (H, k), right (k, H)) and a centre per site, saved as safetensors with
its metadata, and applied during generation as `affine` writes (tracing/ops.py): alpha 0 is no edit.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from tts_interp.core.errors import BadInputError, UnknownNameError
from tts_interp.core.protocol import FitSet
from tts_interp.tracing.ops import Write
from tts_interp.tracing.selection import Selection

ERASER_METHODS = ("leace", "mean_diff", "random")  # what `erase fit` always writes
EXTRA_METHODS = ("mean", "pca<k>", "random<k>")  # written on request (--pca-ranks; mean always with them)
FORMAT = "tts-interp-eraser/1"
RANK_TOLERANCE = 1e-6  # singular values below this fraction of the largest are not part of P


def check_method(name: str) -> str:
    """`name` if it is an eraser method (leace, mean_diff, random, mean, pca<k>, random<k>), else one clear error."""
    if name in ERASER_METHODS or name == "mean" or re.fullmatch(r"(pca|random)[1-9][0-9]*", name):
        return name
    raise UnknownNameError("eraser method", name, (*ERASER_METHODS, *EXTRA_METHODS))


@dataclass
class SiteEraser:
    """P = left @ right and the centre of one site's affine edit."""

    centre: torch.Tensor
    left: torch.Tensor
    right: torch.Tensor

    @property
    def rank(self) -> int:
        return int(self.right.shape[0])

    def write(self, site: str, alpha: float, selection: Selection) -> Write:
        return Write(site, "affine", self.centre, selection, alpha=alpha, left=self.left, right=self.right)

    def apply(self, rows: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
        """Erase offline (rows (n, H)), through the same arithmetic as the write during generation."""
        return self.write("offline", alpha, Selection()).apply(rows, 0)


@dataclass
class Eraser:
    """One method's erasers at one or more sites, with what they were fitted on."""

    model: str
    method: str
    label: str
    classes: list[str]
    sites: dict[str, SiteEraser]
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def fit_set(self) -> FitSet | None:
        """The voices and texts it was fitted on (its train runs), or None when the file did not record them."""
        recorded = FitSet.from_json(self.info.get("fit"))
        if recorded is not None:
            return recorded
        runs = [r for r in self.info.get("runs") or [] if r.get("train")]  # files written before `fit` was recorded
        return FitSet.of([r["voice"] for r in runs], [r["request"].get("text", "") for r in runs]) if runs else None

    def site(self, name: str) -> SiteEraser:
        if name not in self.sites:
            raise BadInputError(f"the eraser has no site {name!r}; it was fitted at: {', '.join(self.sites)}")
        return self.sites[name]

    def writes(self, sites: Sequence[str], alpha: float, selection: Selection | None = None) -> list[Write]:
        """The writes that erase at `sites` with strength alpha (0 = no edit, 1 = full erasure)."""
        if not 0.0 <= alpha <= 1.0:
            raise BadInputError(f"erasure strength alpha must be in [0, 1] (0 = no edit, 1 = full), got {alpha}")
        return [self.site(s).write(s, alpha, selection or Selection()) for s in sites]


def _trim(left: torch.Tensor, right: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Drop the zero part of P = left @ right: re-factor through the SVD of its small core (QR of both factors)
    and keep the non-negligible singular values."""
    q_left, r_left = torch.linalg.qr(left)
    q_right, r_right = torch.linalg.qr(right.T)
    u, s, vh = torch.linalg.svd(r_left @ r_right.T)
    u, vh = q_left @ u, vh @ q_right.T
    keep = s > RANK_TOLERANCE * max(float(s[0]), 1e-30) if len(s) else s > 0
    return (u[:, keep] * s[keep]).contiguous(), vh[keep].contiguous()


def _one_hot(labels: torch.Tensor, n_classes: int) -> torch.Tensor:
    return torch.nn.functional.one_hot(labels.long(), n_classes).double()


def _check(x: torch.Tensor, labels: torch.Tensor, n_classes: int) -> None:
    present = torch.unique(labels).numel()
    if present < 2:
        raise BadInputError(f"erasing a label needs rows of at least two classes; got {present} of {n_classes}")
    if x.shape[0] != labels.shape[0]:
        raise BadInputError(f"{x.shape[0]} rows but {labels.shape[0]} labels")


def fit_leace(x: torch.Tensor, labels: torch.Tensor, n_classes: int) -> SiteEraser:
    """LEACE (concept-erasure's LeaceFitter, float64) for class ids `labels` of rows `x` (n, H)."""
    from concept_erasure import LeaceFitter

    _check(x, labels, n_classes)
    fitter = LeaceFitter.fit(x.double(), _one_hot(labels, n_classes))
    eraser = fitter.eraser
    left, right = _trim(eraser.proj_left, eraser.proj_right)
    if left.shape[1] == 0:
        raise BadInputError("the classes have the same mean activation at this site: there is nothing to erase")
    return SiteEraser(eraser.bias.float().contiguous(), left.float(), right.float())


def fit_mean_diff(x: torch.Tensor, labels: torch.Tensor, n_classes: int) -> SiteEraser:
    """Orthogonal projection onto span(class mean - pooled mean), centred at the pooled mean."""
    _check(x, labels, n_classes)
    x = x.double()
    centre = x.mean(0)
    diffs = torch.stack([x[labels == c].mean(0) - centre for c in torch.unique(labels)])
    _, s, vh = torch.linalg.svd(diffs, full_matrices=False)
    scale = float(x.norm(dim=-1).mean())
    keep = s > RANK_TOLERANCE * max(scale, 1e-30)
    if not keep.any():
        raise BadInputError("the classes have the same mean activation at this site: there is nothing to erase")
    basis = vh[keep]
    return SiteEraser(centre.float(), basis.T.float().contiguous(), basis.float().contiguous())


def fit_random(x: torch.Tensor, rank: int, seed: int) -> SiteEraser:
    """Orthogonal projection onto a seeded random subspace of `rank` dimensions, centred at the pooled mean."""
    generator = torch.Generator().manual_seed(seed)
    gaussian = torch.randn(x.shape[1], rank, generator=generator, dtype=torch.float64)
    basis, _ = torch.linalg.qr(gaussian)
    return SiteEraser(x.double().mean(0).float(), basis.float().contiguous(), basis.T.float().contiguous())


def fit_pca(x: torch.Tensor, labels: torch.Tensor, n_classes: int, rank: int) -> SiteEraser:
    """Orthogonal projection onto the top `rank` principal components of the class means (at most classes - 1:
    the voice variation the fit set spans), centred at the pooled mean."""
    _check(x, labels, n_classes)
    x = x.double()
    centre = x.mean(0)
    means = torch.stack([x[labels == c].mean(0) for c in torch.unique(labels)])
    _, s, vh = torch.linalg.svd(means - means.mean(0), full_matrices=False)
    keep = int((s > RANK_TOLERANCE * max(float(s[0]), 1e-30)).sum())
    basis = vh[: min(rank, keep)]
    return SiteEraser(centre.float(), basis.T.float().contiguous(), basis.float().contiguous())


def fit_mean(x: torch.Tensor) -> SiteEraser:
    """Replace every row by the pooled mean: P = identity (the upper bound of any eraser at this site)."""
    eye = torch.eye(x.shape[1])
    return SiteEraser(x.double().mean(0).float(), eye.contiguous(), eye.clone())


def fit_erasers(rows: dict[str, tuple[torch.Tensor, torch.Tensor]], classes: list[str], model: str,
                label: str, seed: int = 0, info: dict[str, Any] | None = None,
                pca_ranks: Sequence[int] = ()) -> dict[str, Eraser]:
    """LEACE, mean-difference and random-subspace erasers at every site from (rows (n, H), class ids (n,)); with
    `pca_ranks`, also PCA subspaces of those ranks, their random controls and the mean replacement."""
    methods = [*ERASER_METHODS, *([f"pca{k}" for k in pca_ranks] + [f"random{k}" for k in pca_ranks]
                                  + ["mean"] if pca_ranks else [])]
    fitted: dict[str, Eraser] = {m: Eraser(model, m, label, list(classes), {}, dict(info or {})) for m in methods}
    for k, (site, (x, labels)) in enumerate(rows.items()):
        leace = fit_leace(x, labels, len(classes))
        fitted["leace"].sites[site] = leace
        fitted["mean_diff"].sites[site] = fit_mean_diff(x, labels, len(classes))
        fitted["random"].sites[site] = fit_random(x, leace.rank, seed + k)
        for rank in pca_ranks:
            fitted[f"pca{rank}"].sites[site] = fit_pca(x, labels, len(classes), rank)
            fitted[f"random{rank}"].sites[site] = fit_random(x, fitted[f"pca{rank}"].sites[site].rank, seed + k)
        if pca_ranks:
            fitted["mean"].sites[site] = fit_mean(x)
    for eraser in fitted.values():
        eraser.info["rank"] = {site: e.rank for site, e in eraser.sites.items()}
    fitted["random"].info["seed"] = seed
    return fitted


def save_eraser(eraser: Eraser, path: Path) -> Path:
    """Write an eraser file: safetensors with centre/left/right per site and the metadata."""
    tensors: dict[str, torch.Tensor] = {}
    for site, e in eraser.sites.items():
        tensors |= {f"{site}::centre": e.centre, f"{site}::left": e.left, f"{site}::right": e.right}
    metadata = {"format": FORMAT, "model": eraser.model, "method": eraser.method, "label": eraser.label,
                "classes": json.dumps(eraser.classes), "sites": json.dumps(list(eraser.sites)),
                "info": json.dumps(eraser.info, default=str)}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(path), metadata=metadata)
    return path


def load_eraser(path: Path, model: str | None = None, sites: Sequence[str] = ()) -> Eraser:
    """Read an eraser file; fail clearly if it was made for another model or lacks one of `sites`."""
    path = Path(path)
    if not path.is_file():
        raise BadInputError(f"eraser file {path} does not exist (make one with `tts-interp erase fit`)")
    try:
        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
        tensors = load_file(str(path))
    except (SafetensorError, OSError) as exc:
        raise BadInputError(f"{path} is not a safetensors eraser file: {exc}") from None
    if metadata.get("format") != FORMAT:
        raise BadInputError(f"{path} is not a tts-interp eraser file (format {metadata.get('format')!r}, expected "
                            f"{FORMAT!r})")
    check_method(metadata["method"])
    if model is not None and metadata["model"] != model:
        raise BadInputError(f"eraser {path} was fitted on model {metadata['model']!r}, not {model!r}: erasers do "
                            "not carry across models")
    saved = json.loads(metadata["sites"])
    missing = [s for s in sites if s not in saved]
    if missing:
        raise BadInputError(f"eraser {path} has no site(s) {', '.join(missing)}; it was fitted at: {', '.join(saved)}")
    per_site = {s: SiteEraser(tensors[f"{s}::centre"], tensors[f"{s}::left"], tensors[f"{s}::right"]) for s in saved}
    return Eraser(metadata["model"], metadata["method"], metadata["label"], json.loads(metadata["classes"]),
                  per_site, json.loads(metadata["info"]))
