"""Steering a run of any family with the `run` hook: add alpha x a unit direction, or project it out, at sites.

`add` writes alpha * s * u, where u is the unit direction at the site and s the site's mean activation norm
measured on a calibration run (a plain run of the same prompt and settings, recorded in the result) over the
positions the write selects (outlier and attention-sink positions of the prompt would otherwise skew the unit
when only frames are steered), so alpha means the same across layers and model sizes. `project_out` removes
alpha times the component along u (alpha 1 = full erasure). Writes can be gated to prompt segments, frames, or
both (a denoiser's to a t-range). Sites are named directly (`site_writes`) or as layers of a kind
(`steering_writes`; the family's `layer_site` spells them, Qwen3-TTS's talker layers by default).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from tts_interp.core.errors import BadInputError, OutOfRangeError, UnknownNameError
from tts_interp.interventions.directions.direction import Direction
from tts_interp.interventions.session import Session
from tts_interp.models.base import require
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


def check_layers(layers: Sequence[int], n_layers: int, what: str = "talker layer") -> list[int]:
    """Layer indices (`what` names them in the error), each in range, repeats dropped."""
    for layer in layers:
        if not 0 <= layer < n_layers:
            raise OutOfRangeError(what, layer, f"0..{n_layers - 1}")
    return list(dict.fromkeys(layers))


@dataclass(frozen=True)
class SteerCell:
    """One steered generation: strength `alpha` at `layers` (all at once), or at named `sites` (then `layers` is
    empty: sites that are no family's layers, such as Kokoro's style vector, are steered by name)."""

    alpha: float
    layers: tuple[int, ...]
    sites: tuple[str, ...] = ()

    @property
    def cell_id(self) -> str:
        if self.sites:
            return f"alpha{self.alpha:+g}_{'+'.join(self.sites)}"
        return f"alpha{self.alpha:+g}_L{'-'.join(str(x) for x in self.layers)}"


@dataclass
class Calibration:
    """The plain run of the prompt and the mean activation norm per site (the alpha unit) over the positions of
    `selection`."""

    run: Any
    mean_norm: dict[str, float]
    rows: dict[str, int]
    selection: Selection = field(default_factory=Selection)

    def to_json(self) -> dict[str, Any]:
        codes = getattr(self.run, "codes", None)  # autoregressive runs: how many frames the plain run made
        return {"run": "plain generation of the same prompt and settings",
                **({"frames": int(codes.shape[0])} if codes is not None else {}),
                "positions": self.selection.to_json(),
                "sites": {s: {"mean_norm": self.mean_norm[s], "rows": self.rows[s]} for s in self.mean_norm}}


def calibrate(session: Session, prompt: Any, settings: Any, sites: Sequence[str],
              selection: Selection | None = None) -> Calibration:
    """Run the prompt plainly (the family's `run`), reading `sites` at the positions of `selection` (default:
    every one); the mean L2 norm of those rows per site."""
    require(session.adapter, "run")
    selection = selection or Selection()
    run = session.adapter.run(session.engine, prompt, settings, reads=[Read(site, selection) for site in sites])
    norms, rows = {}, {}
    for site in sites:
        values = run.store.get(site).values.float() if site in run.store.sites() else torch.zeros(0, 1)
        if values.shape[0] == 0:
            raise BadInputError(f"the plain run has no position of {site} in the selection {selection.to_json()}, "
                                "so the steering unit (mean norm there) cannot be measured; select positions "
                                "the plain run reaches (e.g. fewer frames)")
        norms[site], rows[site] = float(values.norm(dim=-1).mean()), int(values.shape[0])
    return Calibration(run, norms, rows, selection)


def direction_scale(direction: Direction, sites: Sequence[str]) -> Calibration:
    """The direction file's own scale as the alpha unit, no calibration run: per site the mean row norm of the runs
    the direction was made from (1 where the file records none)."""
    per_site = direction.info.get("per_site", {})
    stats = {site: per_site.get(site, {}) for site in sites}
    return Calibration(None, {s: float(v.get("mean_row_norm", 1.0)) for s, v in stats.items()},
                       {s: int(v.get("rows_a", 0)) + int(v.get("rows_b", 0)) for s, v in stats.items()})


def site_writes(direction: Direction, sites: Sequence[str], alpha: float, op: str, selection: Selection,
                calibration: Calibration | None, component: int = 0, raw: bool = False) -> list[Write]:
    """The writes of one steered cell: one per site, `add` alpha x the site's mean norm x the unit direction, or
    `project_out` alpha of the component along it. With `raw`, `add` writes alpha x the direction's own vector
    (a mean difference: alpha 1 moves a run by the whole gap between the two sets; no calibration needed)."""
    if op not in STEER_OPS:
        raise UnknownNameError("steering operation", op, STEER_OPS)
    writes = []
    for site in sites:
        unit = direction.unit(site, component)
        if op == "add" and raw:
            writes.append(Write(site, "add", direction.vectors[site], selection, alpha=alpha))
        elif op == "add":
            if calibration is None:
                raise ValueError("adding a direction needs a calibration (the site's mean norm)")
            writes.append(Write(site, "add", unit, selection, alpha=alpha * calibration.mean_norm[site]))
        else:
            writes.append(Write(site, "project_out", unit, selection, alpha=alpha))
    return writes


def steering_writes(direction: Direction, cell: SteerCell, op: str, selection: Selection,
                    calibration: Calibration | None, kind: str = "resid_out", component: int = 0,
                    layer_site: Callable[[int, str], str] = talker_site) -> list[Write]:
    """The writes of one steered cell: one per named site, or per layer at `layer_site(layer, kind)` (an adapter's
    `layer_site`; by default Qwen3-TTS's talker layers)."""
    sites = list(cell.sites) or [layer_site(layer, kind) for layer in cell.layers]
    return site_writes(direction, sites, cell.alpha, op, selection, calibration, component)


def code_agreement(codes: torch.Tensor, reference: torch.Tensor) -> float | None:
    """Fraction of frames whose codebook-0 code equals the reference's, over the frames both have."""
    n = min(int(codes.shape[0]), int(reference.shape[0]))
    if n == 0:
        return None
    return float((codes[:n, 0] == reference[:n, 0]).double().mean())
