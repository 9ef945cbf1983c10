"""A loaded Kokoro model with its engine, and runs written to a directory (models/kokoro/rundir.py)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from tts_interp.interventions.session import Session
from tts_interp.models.kokoro.adapter import KokoroPrompt
from tts_interp.models.kokoro.rundir import write_forward_run
from tts_interp.models.kokoro.runs import ForwardRun, synthesize
from tts_interp.tracing.engine import Read
from tts_interp.tracing.ops import Write


class KokoroSession(Session):
    """A Session on a model that can `synthesize` (Kokoro-82M), with its run helpers."""

    def __init__(self, model: str = "kokoro-82m", device: str = "cpu"):
        super().__init__(model, device, "float32", needs=("synthesize",))
        self.model_id = model

    def prompts(self, text: str, voice: str, language: str | None = None, speed: float = 1.0) -> list[KokoroPrompt]:
        return self.adapter.prepare_chunks(text, voice, language, speed)

    def run(self, prompts: Sequence[KokoroPrompt], seed: int = 0, reads: Sequence[Read] = (),
            writes: Sequence[Write] = (), store: Any = None, durations: Sequence[torch.Tensor] | None = None,
            noise: bool = True) -> ForwardRun:
        return synthesize(self.engine, self.adapter, prompts, seed, reads, writes, store, durations, noise)


def write_run(out_dir: Path, session: KokoroSession, run: ForwardRun, extra: dict[str, Any] | None = None,
              seconds: float | None = None) -> dict[str, Any]:
    """audio.wav, alignment.lab (predicted durations) and result.json for one run."""
    return write_forward_run(out_dir, session.adapter, run, None, extra, seconds)
