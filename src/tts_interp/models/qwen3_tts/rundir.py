"""A Qwen3-TTS run directory: audio.wav, codes.npy and result.json with everything needed to replay it.

Every command that produces Qwen3-TTS audio (generate, trace, steering and patching cells) writes through
`write_generation`, so a steered cell and a plain generate of the same seed can be compared file for file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from tts_interp import __version__
from tts_interp.core.audio import write_wav
from tts_interp.core.results import write_result


def decoded_audio(adapter: Any, run: Any) -> np.ndarray:
    """A generation's waveform: its codes through the codec decoder (empty when no frame was generated)."""
    return adapter.decode(run.codes, run.prompt) if len(run.codes) else np.zeros(0, np.float32)


def write_generation(out_dir: Path, adapter: Any, config: dict[str, Any], run: Any,
                     extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Decode a run's codes and write audio.wav, codes.npy and result.json (recording `config`) into `out_dir`."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    codes = run.codes.numpy().astype(np.int64)
    np.save(out_dir / "codes.npy", codes)
    audio = decoded_audio(adapter, run)
    write_wav(out_dir / "audio.wav", audio, adapter.sample_rate)
    payload = {
        "command": "generate", "tts_interp_version": __version__, "config": config,
        "model": adapter.describe(), "prompt_mode": run.prompt.mode, "segments": run.prompt.segments.to_json(),
        "notes": run.prompt.notes, "writes": [w.to_json() for w in run.writes],
        "frames": int(codes.shape[0]), "seconds": round(len(audio) / adapter.sample_rate, 3),
        "sample_rate": adapter.sample_rate, "files": {"audio": "audio.wav", "codes": "codes.npy"},
        "deterministic": "greedy" if run.settings.greedy else f"sampled with seed {run.settings.seed}",
    }
    payload.update(extra or {})
    write_result(out_dir, payload)
    return payload
