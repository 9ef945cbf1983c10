"""A denoiser run directory: audio.wav (vocoded), mel.npy and result.json, for h-space edits and sweep cells."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from tts_interp import __version__
from tts_interp.core.audio import write_wav
from tts_interp.core.results import write_result


def write_denoise_run(out_dir: Path, adapter: Any, run: Any, config: dict[str, Any] | None,
                      extra: dict[str, Any]) -> dict[str, Any]:
    """Vocode a run and write audio.wav, mel.npy and result.json (with `config` when given) into `out_dir`."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    mel = run.sampled.mel
    np.save(out_dir / "mel.npy", mel.numpy().astype(np.float32))
    audio = adapter.vocode(mel) * run.sampled.audio_gain
    write_wav(out_dir / "audio.wav", audio, adapter.sample_rate)
    payload = {"tts_interp_version": __version__, "model": adapter.describe(),
               **({"config": config} if config is not None else {}),
               "request": run.prompt.request.to_json(), "settings": run.settings.to_json(),
               "notes": list(run.prompt.notes) + list(run.sampled.notes), "writes": [w.to_json() for w in run.writes],
               "timesteps": list(run.sampled.timesteps), "mel_frames": int(mel.shape[1]),
               "seconds": round(len(audio) / adapter.sample_rate, 3), "sample_rate": adapter.sample_rate,
               "files": {"audio": "audio.wav", "mel": "mel.npy"}, **extra}
    write_result(out_dir, payload)
    return payload
