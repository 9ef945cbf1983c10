"""Qwen3-TTS's side of the `run` capability (models/base.py): the hook the family-neutral experiments call.

A plain run is a generation; `--layers` names talker layers, of kind resid (residual stream after the layer),
attn or mlp (the block outputs before the residual add).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch

from tts_interp.core.errors import BadInputError
from tts_interp.models.qwen3_tts.prompt import PreparedPrompt, PromptRequest
from tts_interp.models.qwen3_tts.rundir import decoded_audio, write_generation
from tts_interp.models.qwen3_tts.runs import GenerationRun, TeacherForcedRun, generate, teacher_force
from tts_interp.models.qwen3_tts.settings import GenerationSettings
from tts_interp.models.qwen3_tts.sites import LAYER_KINDS, talker_site
from tts_interp.tracing.engine import Engine, Read
from tts_interp.tracing.ops import Write


class Qwen3TTSRunHook:
    """The `run` members of the Qwen3-TTS adapter."""

    layer_kinds = LAYER_KINDS
    pool_runs = False  # a direction's samples are the selected rows of every run (frames and segments)
    request_type = PromptRequest
    selection_fields = ("frames", "segments", "codebooks")  # what a Read's or Write's Selection may set here
    settings_type = GenerationSettings

    def run_audio(self: Any, run: GenerationRun) -> Any:
        """The generated codes, decoded to a waveform."""
        return decoded_audio(self, run)

    def check_request(self: Any, request: PromptRequest) -> None:
        """Refuse an instruct the variant would silently drop (two sets differing in it would be the same)."""
        if request.instruct and request.instruct.strip() and not self.supports_instruct():
            raise BadInputError(f"{self.model_id} is a {self.variant} model and has no instruct input, so "
                                f"instruct {request.instruct!r} would be ignored; use a VoiceDesign or CustomVoice "
                                "(1.7B) model, or compare speakers/reference audio instead")

    def run(self: Any, engine: Engine, prompt: PreparedPrompt, settings: GenerationSettings,
            reads: Sequence[Read] = (), writes: Sequence[Write] = (), store: Any = None,
            on_frame: Callable[[], None] | None = None) -> GenerationRun:
        """A generation of `prompt` with `settings` (seeded), with reads and writes; `on_frame` ticks per frame."""
        return generate(engine, self, prompt, settings, reads=reads, writes=writes, store=store, on_frame=on_frame)

    def forced_run(self: Any, engine: Engine, prompt: PreparedPrompt, codes: torch.Tensor, reads: Sequence[Read] = (),
                   writes: Sequence[Write] = (), store: Any = None) -> TeacherForcedRun:
        """One teacher-forced pass over `prompt` + `codes` (deterministic), with reads and writes."""
        return teacher_force(engine, self, prompt, codes, reads=reads, writes=writes, store=store)

    @staticmethod
    def request_of(text: str, voice: dict[str, Any]) -> PromptRequest:
        """A prompt request from text and voice fields (speaker, instruct, ref_audio, ref_text, language)."""
        return PromptRequest(text=text, **{k: v for k, v in voice.items() if v is not None})

    @staticmethod
    def settings_of(seed: int, greedy: bool, max_frames: int) -> GenerationSettings:
        """Decoding settings of a suite cell: sampled at `seed` (or greedy), at most `max_frames` frames."""
        return GenerationSettings(max_new_tokens=max_frames, seed=seed, greedy=greedy)

    def deterministic_settings(self, max_frames: int) -> GenerationSettings:
        """Greedy decoding of at most `max_frames` frames."""
        return GenerationSettings(max_new_tokens=max_frames, greedy=True)

    def aligned_settings(self, settings: GenerationSettings, run: GenerationRun) -> GenerationSettings:
        """The same settings: a generation's length is its own (patching between prompts aligns segments instead,
        teacher-forced, in interventions/patching/sweep.py)."""
        return settings

    def layer_site(self, layer: int, kind: str = "resid_out") -> str:
        return talker_site(layer, kind)

    def write_run(self, out_dir: Path, run: GenerationRun, config: dict[str, Any] | None,
                  extra: dict[str, Any] | None = None) -> dict[str, Any]:
        """audio.wav, codes.npy and result.json, as `tts-interp generate` writes them."""
        return write_generation(out_dir, self, config, run, extra)
