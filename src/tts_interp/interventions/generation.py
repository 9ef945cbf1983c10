"""Generate and trace Qwen3-TTS to a run directory: audio.wav, codes.npy, result.json with everything needed to
replay.

Every command that produces audio (generate, trace, steering sweeps) writes its run directories through the
adapter's `write_run` (`write_generation` here, `generate_to_dir` in interventions/running.py for any family), so
a steered cell and a plain generate of the same seed can be compared file for file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tts_interp.interventions.running import generate_to_dir  # noqa: F401 - its import path before the run hook
from tts_interp.interventions.session import Session
from tts_interp.models.qwen3_tts.prompt import PromptRequest
from tts_interp.models.qwen3_tts.runs import GenerationRun
from tts_interp.models.qwen3_tts.settings import GenerationSettings


@dataclass(frozen=True)
class RunConfig:
    """Model + prompt + decoding settings + device: with the writes, all a run needs to be replayed."""

    model: str
    prompt: PromptRequest
    settings: GenerationSettings = field(default_factory=GenerationSettings)
    device: str = "auto"
    dtype: str = "float32"

    def to_json(self) -> dict[str, Any]:
        return {"model": self.model, "prompt": self.prompt.to_json(), "settings": self.settings.to_json(),
                "device": self.device, "dtype": self.dtype}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunConfig:
        return cls(model=data["model"], prompt=PromptRequest(**data["prompt"]),
                   settings=GenerationSettings.from_json(data["settings"]), device=data.get("device", "auto"),
                   dtype=data.get("dtype", "float32"))


def write_generation(out_dir: Path, session: Session, config: RunConfig, run: GenerationRun,
                     extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Decode a run's codes and write audio.wav, codes.npy and result.json into `out_dir` (the adapter's
    `write_run`, recording `config`)."""
    return session.adapter.write_run(out_dir, run, config.to_json(), extra)
