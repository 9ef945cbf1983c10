"""Running any family through its `run` hook (models/base.py): checked prompts and run directories.

The family-neutral experiments (directions, steering, patching, their sweeps) prepare, run and write runs only
through these, so they work for every family whose adapter declares `run`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tts_interp.interventions.session import Session
from tts_interp.tracing.ops import Write


def prepare_checked(adapter: Any, request: Any) -> Any:
    """Prepare a prompt, refusing inputs the model would silently ignore (e.g. an instruct it cannot read)."""
    adapter.check_request(request)
    return adapter.prepare(request)


def generate_to_dir(session: Session, config: Any, out_dir: Path, writes: Sequence[Write] | None = None,
                    extra: dict[str, Any] | None = None, on_frame: Callable[[], None] | None = None
                    ) -> dict[str, Any]:
    """Run `config` (model, prompt request, settings, device, dtype; `to_json()`) with optional writes, and write
    its run directory as the family's generate does. `on_frame` (a progress tick per generated frame) is passed
    to families whose run generates frame by frame (Qwen3-TTS)."""
    prompt = session.adapter.prepare(config.prompt)
    progress = {"on_frame": on_frame} if on_frame is not None else {}
    started = time.perf_counter()
    run = session.adapter.run(session.engine, prompt, config.settings, writes=list(writes or []), **progress)
    timing = {"generate_seconds": round(time.perf_counter() - started, 3)}
    return session.adapter.write_run(out_dir, run, config.to_json(), {**timing, **(extra or {})})


def run_length(result: dict[str, Any]) -> tuple[int, float]:
    """(frames, audio seconds) of a run directory's result.json, whichever family wrote it (Qwen3-TTS records
    its frames, a denoiser its mel frames, Kokoro its per-token durations)."""
    frames = result.get("frames", result.get("mel_frames"))
    frames = sum(map(sum, result["durations"])) if frames is None else frames
    return int(frames), float(result.get("audio_seconds", result.get("seconds")))
