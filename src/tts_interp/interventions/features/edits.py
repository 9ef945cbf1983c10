"""Edits of neurons and SAE features during transcription, as small serialisable objects.

Ops: `ablate` (set to 0), `scale` (multiply by `value`), `steer` (add `value` times the unit's direction:
the neuron's own axis, or an SAE feature's unit-norm decoder column), `splice` (replace the activation by its
SAE reconstruction). An SAE feature edit keeps the SAE's error term: x' = x + decode(f') - decode(f). Edits
touch a clip's real frames only (optionally a frame range inside them), never the window's padding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace

import torch

from tts_interp.core.errors import BadInputError, UnknownNameError

OPS = ("ablate", "scale", "steer", "splice")


@dataclass(frozen=True)
class FeatureEdit:
    """One edit at one site; `sae` names a saved SAE directory when the units are SAE features."""

    site: str
    op: str
    units: tuple[int, ...] = ()
    value: float = 0.0
    frames: tuple[int, int] | None = None  # [start, stop) encoder frames (20 ms); None: every real frame
    sae: str | None = None

    def to_json(self) -> dict:
        return asdict(self)

    def check(self, width: int) -> None:
        if self.op not in OPS:
            raise UnknownNameError("edit op", self.op, OPS)
        if self.op == "splice" and not self.sae:
            raise BadInputError("op splice needs --sae (the SAE whose reconstruction is spliced in)")
        if self.op != "splice" and not self.units:
            raise BadInputError(f"op {self.op} needs at least one unit")
        bad = [u for u in self.units if not 0 <= u < width]
        if bad:
            raise BadInputError(f"units {bad} are out of range; valid: 0..{width - 1}")


def frame_mask(valid: Sequence[int], total: int, frames: tuple[int, int] | None) -> torch.Tensor:
    """(B, T, 1) bool: the real frames of each row, cut to `frames` when given."""
    index = torch.arange(total)
    mask = index[None, :] < torch.tensor(list(valid))[:, None]
    if frames is not None:
        mask &= (index >= frames[0]) & (index < frames[1])
    return mask[..., None]


def _edit_units(x: torch.Tensor, edit: FeatureEdit) -> torch.Tensor:
    """Apply ablate/scale/steer to the unit channels of `x` (B, T, U)."""
    units = list(edit.units)
    out = x.clone()
    if edit.op == "ablate":
        out[..., units] = 0.0
    elif edit.op == "scale":
        out[..., units] = out[..., units] * edit.value
    elif edit.op == "steer":
        out[..., units] = out[..., units] + edit.value
    return out


def make_edit(edit: FeatureEdit, valid: Sequence[int], sae: torch.nn.Module | None = None):  # noqa: ANN201
    """A function act -> edited act for `adapter.run_encoder(edits=...)`, for a batch with `valid` frames."""

    def apply(act: torch.Tensor) -> torch.Tensor:
        mask = frame_mask(valid, act.shape[1], edit.frames).to(act.device)
        if sae is None:
            edited = _edit_units(act, edit)
        elif edit.op == "splice":
            edited = sae(act.float()).to(act.dtype)
        elif edit.op == "steer":
            direction = sum(sae.direction(u) for u in edit.units)
            edited = act + edit.value * direction.to(act.dtype)
        else:
            f = sae.encode(act.float())
            edited = act + (sae.decode(_edit_units(f, edit)) - sae.decode(f)).to(act.dtype)
        return torch.where(mask, edited, act)

    return apply


@dataclass(frozen=True)
class Condition:
    """A named list of edits applied together in one transcription pass."""

    name: str
    edits: tuple[FeatureEdit, ...]
    control: bool = False  # a random control of the first condition (same op, as many units)


def edit_conditions(adapter, op: str, site: str, units: tuple[int, ...], value: float,  # noqa: ANN001
                    frames: tuple[int, int] | None, sae_dir: str | None, random_controls: int, seed: int,
                    ) -> list[Condition]:
    """The requested edit, checked against the site (or SAE) width, plus `random_controls` conditions that
    apply the same op to as many uniformly drawn other units (the chance baseline)."""
    import numpy as np

    from tts_interp.interventions.features.sae import load_sae

    if sae_dir is not None:
        sae = load_sae(sae_dir)
        site, width = sae.config.site, sae.config.dict_size
    else:
        width = adapter.site(site).dim
    edit = FeatureEdit(site, op, units, value, frames, str(sae_dir) if sae_dir else None)
    edit.check(width)
    if frames is not None and not 0 <= frames[0] < frames[1]:
        raise BadInputError(f"--frames {frames[0]}:{frames[1]} is empty; give START:STOP with START < STOP")
    conditions = [Condition(f"{op}_{'+'.join(map(str, units))}", (edit,))]
    rng = np.random.default_rng(seed)
    others = [u for u in range(width) if u not in units]
    for i in range(random_controls):
        picked = tuple(int(u) for u in rng.choice(others, size=len(units), replace=False))
        conditions.append(Condition(f"random{i}_{op}_{'+'.join(map(str, picked))}", (replace(edit, units=picked),),
                                    control=True))
    return conditions
