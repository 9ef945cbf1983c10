"""What the diffusion and flow-matching TTS adapters (Grad-TTS, F5-TTS) share: requests, sampler settings, results.

Both adapters run their own sampler loop, so each denoiser call is one traced step whose time t is known in
advance (`timesteps`). A run returns the final mel and the whole trajectory (the state after every step), which
is what the editing invariants are checked on.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import torch

from tts_interp.core.errors import BadInputError


@dataclass(frozen=True)
class DenoiseRequest:
    """What to say and in which voice: a speaker index (multi-speaker Grad-TTS) or a reference clip (F5-TTS)."""

    text: str
    speaker: int | None = None
    ref_audio: str | None = None
    ref_text: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SamplerSettings:
    """Solver settings. Grad-TTS uses `temperature` and `length_scale`; F5-TTS `cfg_strength`, `sway` and `speed`."""

    steps: int = 10
    seed: int = 0
    temperature: float = 1.5  # Grad-TTS: the terminal noise is N(mu, 1/temperature^2)
    length_scale: float = 1.0  # Grad-TTS: > 1 speaks slower
    cfg_strength: float = 2.0  # F5-TTS classifier-free guidance
    sway: float | None = -1.0  # F5-TTS sway sampling coefficient (None: uniform steps)
    speed: float = 1.0  # F5-TTS: > 1 speaks faster

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise BadInputError(f"steps must be at least 1, got {self.steps}")
        for name in ("temperature", "length_scale", "speed"):
            if not getattr(self, name) > 0:
                raise BadInputError(f"{name} must be positive, got {getattr(self, name)}")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SamplerSettings:
        """The settings `to_json` wrote."""
        return cls(**data)


@dataclass
class Sampled:
    """One sampling run: the mel (n_mels, T) float32 on CPU and the state after each step (steps + 1, n_mels, T).

    `audio_gain` scales the vocoded waveform (F5-TTS restores a quiet reference's loudness this way).
    """

    mel: torch.Tensor
    trajectory: torch.Tensor
    timesteps: tuple[float, ...]
    notes: list[str] = field(default_factory=list)
    audio_gain: float = 1.0
