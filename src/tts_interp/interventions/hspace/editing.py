"""Editing h-space during sampling: add alpha * mean_norm * unit direction at a site within a t-range.

No direction or alpha 0 samples plainly through the same path, so a plain run and an edited one differ only by
the edit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from tts_interp.core.errors import BadInputError
from tts_interp.interventions.hspace.directions import Direction
from tts_interp.interventions.session import Session
from tts_interp.models.denoising.runs import DenoiseRun
from tts_interp.models.denoising.settings import DenoiseRequest, SamplerSettings
from tts_interp.tracing.ops import Write
from tts_interp.tracing.selection import Selection


def edit_writes(session: Session, direction: Direction, settings: SamplerSettings, alpha: float,
                t_range: tuple[float, float] | None) -> list[Write]:
    """Writes adding alpha * mean_norm * direction at the direction's site, on the steps within `t_range`."""
    direction.check_fits(session)
    if session.is_conditioning(direction.site):
        if t_range is not None:
            raise BadInputError(f"{direction.site} runs once before sampling; a t-range does not apply to it")
        return [Write(direction.site, "add", direction.vectors[0] * direction.mean_norm, Selection(), alpha)]
    timesteps = session.adapter.timesteps(settings)
    if not direction.per_step:
        return [Write(direction.site, "add", direction.vectors[0] * direction.mean_norm, Selection(t_range=t_range),
                      alpha)]
    if len(timesteps) != len(direction.timesteps) or not np.allclose(timesteps, direction.timesteps):
        raise BadInputError(f"this per-step direction was made with {len(direction.timesteps)} steps at other times; "
                            f"sample with the same --steps ({len(direction.timesteps)}) or make a pooled direction")
    low, high = t_range if t_range is not None else (0.0, 1.0)
    return [Write(direction.site, "add", direction.vectors[n] * direction.mean_norm, Selection(t_range=(t, t)), alpha)
            for n, t in enumerate(timesteps) if low <= t <= high]


def edit(session: Session, request: DenoiseRequest, settings: SamplerSettings, direction: Direction | None,
         alpha: float, t_range: tuple[float, float] | None) -> DenoiseRun:
    """Sample `request` with the direction added (no direction or alpha 0: plain sampling through the same path)."""
    prompt = session.adapter.prepare(request)
    writes = edit_writes(session, direction, settings, alpha, t_range) if direction is not None else []
    return session.adapter.run(session.engine, prompt, settings, writes=writes)


def write_run(out_dir: Path, session: Session, run: DenoiseRun, extra: dict[str, Any]) -> dict[str, Any]:
    """Vocode a run and write audio.wav, mel.npy and result.json into `out_dir` (the adapter's `write_run`)."""
    return session.adapter.write_run(out_dir, run, None, extra)
