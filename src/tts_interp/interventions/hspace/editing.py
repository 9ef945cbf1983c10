"""Editing h-space during sampling: add alpha * mean_norm * unit direction at a site within a t-range.

No direction or alpha 0 samples plainly through the same path, so a plain run and an edited one differ only by
the edit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from tts_interp import __version__
from tts_interp.core.audio import write_wav
from tts_interp.core.errors import BadInputError
from tts_interp.core.results import write_result
from tts_interp.interventions.hspace.directions import Direction
from tts_interp.interventions.session import Session
from tts_interp.models.denoising.runs import DenoiseRun, sample
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
    return sample(session.engine, session.adapter, prompt, settings, writes=writes)


def write_run(out_dir: Path, session: Session, run: DenoiseRun, extra: dict[str, Any]) -> dict[str, Any]:
    """Vocode a run and write audio.wav, mel.npy and result.json into `out_dir`."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    mel = run.sampled.mel
    np.save(out_dir / "mel.npy", mel.numpy().astype(np.float32))
    audio = session.adapter.vocode(mel) * run.sampled.audio_gain
    write_wav(out_dir / "audio.wav", audio, session.adapter.sample_rate)
    payload = {"tts_interp_version": __version__, "model": session.adapter.describe(),
               "request": run.prompt.request.to_json(), "settings": run.settings.to_json(),
               "notes": list(run.prompt.notes) + list(run.sampled.notes), "writes": [w.to_json() for w in run.writes],
               "timesteps": list(run.sampled.timesteps), "mel_frames": int(mel.shape[1]),
               "seconds": round(len(audio) / session.adapter.sample_rate, 3), "sample_rate": session.adapter.sample_rate,
               "files": {"audio": "audio.wav", "mel": "mel.npy"}, **extra}
    write_result(out_dir, payload)
    return payload
