"""Qwen3-TTS decoding settings and the small types its generation and teacher forcing return or use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from tts_interp.models.qwen3_tts.prompt import SAMPLING_KEYS


@dataclass(frozen=True)
class GenerationSettings:
    """Decoding settings. `greedy` turns off sampling in both the talker and the code predictor."""

    max_new_tokens: int = 200  # the most frames (12.5 per s); the talker runs one step more (talker_steps)
    greedy: bool = False
    seed: int = 0
    temperature: float = 0.9
    top_k: int = 50
    top_p: float = 1.0
    repetition_penalty: float = 1.05
    subtalker_temperature: float = 0.9
    subtalker_top_k: int = 50
    subtalker_top_p: float = 1.0

    @property
    def talker_steps(self) -> int:
        """Talker decoding steps for at most `max_new_tokens` frames: the last step only predicts the code-0
        of a frame whose other codebooks are never made, so one step more than frames."""
        return self.max_new_tokens + 1

    def talker_overrides(self) -> dict[str, Any]:
        values = dict(max_new_tokens=self.talker_steps, do_sample=not self.greedy, top_k=self.top_k,
                      top_p=self.top_p, temperature=self.temperature, repetition_penalty=self.repetition_penalty,
                      subtalker_dosample=not self.greedy, subtalker_top_k=self.subtalker_top_k,
                      subtalker_top_p=self.subtalker_top_p, subtalker_temperature=self.subtalker_temperature)
        assert set(values) == set(SAMPLING_KEYS)
        return values

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GenerationSettings:
        """The settings `to_json` wrote."""
        return cls(**data)


@dataclass
class TeacherForced:
    """Logits of one teacher-forced pass: codebook 0 per frame (T, 3072), codebooks 1-15 (T, 15, 2048)."""

    code0_logits: torch.Tensor
    code_predictor_logits: torch.Tensor


class FrameStreamer:
    """A transformers streamer that only counts steps: `put` is called once per sampled token."""

    def __init__(self, on_frame: Callable[[], None]):
        self.on_frame = on_frame
        self.started = False

    def put(self, value: Any) -> None:
        if self.started:
            self.on_frame()
        self.started = True  # the first put carries the prompt

    def end(self) -> None:
        """Nothing to flush."""


class PromptCaptured(Exception):
    """Raised from the intercepted `talker.generate` to stop upstream's generate after prompt building."""

    def __init__(self, kwargs: dict[str, Any]):
        super().__init__("prompt captured")
        self.kwargs = kwargs
