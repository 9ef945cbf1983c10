"""Qwen3-TTS prompts: what a user asks for, and the prepared prompt the talker actually sees.

The prepared prompt is captured from the upstream `Qwen3TTSForConditionalGeneration.generate` itself (its
call into `talker.generate` is intercepted), so the prompt layout is upstream's, not a re-implementation.
The segment map labels each prefill position, following the layout in upstream's generate (see
qwen3-tts-anatomy notes, section 2.2), and is checked against the captured length.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import torch

from tts_interp.tracing.spec import Segment, SegmentMap

# Sampling keys of upstream's talker kwargs that a GenerationSettings overrides.
SAMPLING_KEYS = ("max_new_tokens", "do_sample", "top_k", "top_p", "temperature", "repetition_penalty",
                 "subtalker_dosample", "subtalker_top_k", "subtalker_top_p", "subtalker_temperature")


@dataclass(frozen=True)
class PromptRequest:
    """A Qwen3-TTS prompt as the user states it. Which fields apply depends on the variant."""

    text: str
    instruct: str | None = None
    speaker: str | None = None
    ref_audio: str | None = None
    ref_text: str | None = None
    language: str = "auto"
    non_streaming: bool | None = None  # None: the variant's upstream default

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class PreparedPrompt:
    """The talker's inputs for one prompt (batch 1), its segment map, and the speaker vector if any."""

    request: PromptRequest
    talker_kwargs: dict[str, Any]
    segments: SegmentMap
    speaker_vector: torch.Tensor | None = None
    speaker_position: int | None = None
    ref_code: torch.Tensor | None = None
    mode: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def length(self) -> int:
        return int(self.talker_kwargs["inputs_embeds"].shape[1])

    def with_speaker_vector(self, vector: torch.Tensor) -> PreparedPrompt:
        """A copy whose speaker position carries `vector` instead of the current speaker vector."""
        if self.speaker_vector is None or self.speaker_position is None:
            raise ValueError("this prompt has no speaker vector")
        embeds = self.talker_kwargs["inputs_embeds"].clone()
        delta = vector.to(embeds.dtype).to(embeds.device) - self.speaker_vector.to(embeds.dtype).to(embeds.device)
        embeds[0, self.speaker_position] += delta
        kwargs = dict(self.talker_kwargs, inputs_embeds=embeds)
        return replace(self, talker_kwargs=kwargs, speaker_vector=vector.detach().clone())


def build_segment_map(*, n_instruct: int, n_language: int, has_speaker: bool, n_text: int, mode: str,
                      n_ref_text: int = 0, n_ref_frames: int = 0) -> SegmentMap:
    """Label the prefill positions of one prompt.

    `mode` is `non_streaming`, `streaming`, `icl_non_streaming` or `icl_streaming`; `n_text` counts the target
    text tokens (without role/end markers), `n_language` the codec think tokens (3 for auto, 4 with a language).
    """
    spans: list[tuple[str, int]] = []
    if n_instruct:
        spans.append(("instruct", n_instruct))
    spans.append(("role", 3))
    spans.append(("language", n_language))
    if has_speaker:
        spans.append(("speaker", 1))
    spans.append(("text_bos", 1))
    if mode == "non_streaming":
        spans += [("text", n_text + 1), ("codec_bos", 1)]
    elif mode == "streaming":
        spans.append(("text", 1))
    elif mode == "icl_non_streaming":
        spans += [("text", n_ref_text + n_text + 1), ("ref_codes", n_ref_frames + 1)]
    elif mode == "icl_streaming":
        spans.append(("ref_codes", n_ref_frames + 1))
    else:
        raise ValueError(f"unknown prompt mode {mode!r}")
    segments, start = [], 0
    for name, length in spans:
        segments.append(Segment(name, start, start + length))
        start += length
    groups = {"codec_prefix": tuple(n for n in ("language", "speaker", "text_bos") if n != "speaker" or has_speaker)}
    return SegmentMap(tuple(segments), groups)
