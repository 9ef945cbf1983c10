"""Steering during generation: add alpha x a unit direction, or project a direction out, at talker layers.

`add` writes alpha * s * u, where u is the unit direction at the site and s the site's mean activation norm
measured on a calibration run (a plain generation of the same prompt and settings, recorded in the result)
over the positions the write selects (outlier and attention-sink positions of the prompt would otherwise
skew the unit when only frames are steered), so alpha means the same across layers and model sizes. `project_out` removes alpha times the component
along u (alpha 1 = full erasure). Writes can be gated to prompt segments, frames, or both.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from tts_interp.core.errors import BadInputError, OutOfRangeError, UnknownNameError
from tts_interp.interventions.directions import Direction
from tts_interp.interventions.session import Session
from tts_interp.models.qwen3_tts.prompt import PreparedPrompt
from tts_interp.models.qwen3_tts.runs import GenerationRun, generate
from tts_interp.models.qwen3_tts.settings import GenerationSettings
from tts_interp.models.qwen3_tts.sites import talker_site
from tts_interp.tracing.engine import Read
from tts_interp.tracing.ops import Write
from tts_interp.tracing.selection import Selection

STEER_OPS = ("add", "project_out")


def parse_alphas(values: Sequence[float | str]) -> list[float]:
    """Strengths as floats; NaN, inf or non-numbers are refused (before anything runs)."""
    alphas = []
    for value in values:
        try:
            alpha = float(value)
        except ValueError:
            raise BadInputError(f"alpha {value!r} is not a number") from None
        if not math.isfinite(alpha):
            raise BadInputError(f"alpha {value!r} is not a finite number; give finite strengths such as 0,1,2")
        alphas.append(alpha)
    if not alphas:
        raise BadInputError("no alpha given; e.g. --alphas 0,1,2")
    return alphas


def check_layers(layers: Sequence[int], n_layers: int) -> list[int]:
    """Talker layer indices, each in range."""
    for layer in layers:
        if not 0 <= layer < n_layers:
            raise OutOfRangeError("talker layer", layer, f"0..{n_layers - 1}")
    return list(dict.fromkeys(layers))


@dataclass(frozen=True)
class SteerCell:
    """One steered generation: strength `alpha` at `layers` (all at once)."""

    alpha: float
    layers: tuple[int, ...]

    @property
    def cell_id(self) -> str:
        return f"alpha{self.alpha:+g}_L{'-'.join(str(x) for x in self.layers)}"


@dataclass
class Calibration:
    """The plain run of the prompt: its codes and the mean activation norm per site (the alpha unit) over the
    positions of `selection`."""

    run: GenerationRun
    mean_norm: dict[str, float]
    rows: dict[str, int]
    selection: Selection = field(default_factory=Selection)

    def to_json(self) -> dict[str, Any]:
        return {"run": "plain generation of the same prompt and settings", "frames": int(self.run.codes.shape[0]),
                "positions": self.selection.to_json(),
                "sites": {s: {"mean_norm": self.mean_norm[s], "rows": self.rows[s]} for s in self.mean_norm}}


def calibrate(session: Session, prompt: PreparedPrompt, settings: GenerationSettings, sites: Sequence[str],
              selection: Selection | None = None) -> Calibration:
    """Generate the prompt plainly, reading `sites` at the positions of `selection` (default: every one);
    the mean L2 norm of those rows per site."""
    selection = selection or Selection()
    run = generate(session.engine, session.adapter, prompt, settings,
                   reads=[Read(site, selection) for site in sites])
    norms, rows = {}, {}
    for site in sites:
        values = run.store.get(site).values.float() if site in run.store.sites() else torch.zeros(0, 1)
        if values.shape[0] == 0:
            raise BadInputError(f"the plain run has no position of {site} in the selection {selection.to_json()}, "
                                "so the steering unit (mean norm there) cannot be measured; select positions "
                                "the plain run reaches (e.g. fewer frames)")
        norms[site], rows[site] = float(values.norm(dim=-1).mean()), int(values.shape[0])
    return Calibration(run, norms, rows, selection)


def steering_writes(direction: Direction, cell: SteerCell, op: str, selection: Selection,
                    calibration: Calibration | None, kind: str = "resid_out", component: int = 0) -> list[Write]:
    """The writes of one steered cell: one per layer, at the talker site `kind` of that layer."""
    if op not in STEER_OPS:
        raise UnknownNameError("steering operation", op, STEER_OPS)
    writes = []
    for layer in cell.layers:
        site = talker_site(layer, kind)
        unit = direction.unit(site, component)
        if op == "add":
            if calibration is None:
                raise ValueError("adding a direction needs a calibration (the site's mean norm)")
            writes.append(Write(site, "add", unit, selection, alpha=cell.alpha * calibration.mean_norm[site]))
        else:
            writes.append(Write(site, "project_out", unit, selection, alpha=cell.alpha))
    return writes


def code_agreement(codes: torch.Tensor, reference: torch.Tensor) -> float | None:
    """Fraction of frames whose codebook-0 code equals the reference's, over the frames both have."""
    n = min(int(codes.shape[0]), int(reference.shape[0]))
    if n == 0:
        return None
    return float((codes[:n, 0] == reference[:n, 0]).double().mean())
