"""A Kokoro run (models/kokoro/runs.py `synthesize`) written to a directory through a Session (models/kokoro/rundir.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tts_interp.interventions.session import Session
from tts_interp.models.kokoro.rundir import write_forward_run
from tts_interp.models.kokoro.runs import ForwardRun


def write_run(out_dir: Path, session: Session, run: ForwardRun, extra: dict[str, Any] | None = None,
              seconds: float | None = None) -> dict[str, Any]:
    """audio.wav, alignment.lab (predicted durations) and result.json for one run."""
    return write_forward_run(out_dir, session.adapter, run, None, extra, seconds)
