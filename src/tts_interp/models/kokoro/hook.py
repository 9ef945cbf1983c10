"""Kokoro's side of the `run` capability (models/base.py): the hook the family-neutral experiments call.

A request is text + voice (+ language, speed); its prompt is the text's chunks, whose `segments` are the words
of a one-chunk text (reads and selections need one chunk). A plain run is one synthesis seeded by the settings;
`aligned_settings` forces a source run's durations, so another voice's run has the same frames, row for row.
`--layers` names the decoder's stages in order (kind `decoder`: where the voice's timbre acts; the last,
conv_post, is where additive edits survive to the audio) or PL-BERT's passes (kind `plbert`, voice-independent).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch

from tts_interp.core.errors import BadInputError, OutOfRangeError, UnknownNameError
from tts_interp.models.kokoro.runs import ForwardRun, synthesize
from tts_interp.tracing.engine import Engine, Read
from tts_interp.tracing.ops import Write
from tts_interp.tracing.spec import SegmentMap


@dataclass(frozen=True)
class KokoroRequest:
    """What to say and in which voice (a name or a mix `af_heart:0.7,am_michael:0.3`)."""

    text: str
    voice: str
    language: str | None = None
    speed: float = 1.0

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "voice": self.voice, "language": self.language, "speed": self.speed}


@dataclass(frozen=True)
class KokoroUtterance:
    """A prepared request: its chunks (KokoroPrompt, one forward each)."""

    request: KokoroRequest
    chunks: tuple[Any, ...]

    @property
    def segments(self) -> SegmentMap:
        """The words of a one-chunk text (a longer text's rows are labelled per chunk: none named here)."""
        return self.chunks[0].segments if len(self.chunks) == 1 else SegmentMap(())


@dataclass(frozen=True)
class KokoroSettings:
    """A synthesis' seed (the decoder's noise; chunk k uses seed + k), and durations forced per chunk (or None)."""

    seed: int = 0
    durations: tuple[torch.Tensor, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        forced = None if self.durations is None else [[int(d) for d in track] for track in self.durations]
        return {"seed": self.seed, "durations": forced}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> KokoroSettings:
        """The settings `to_json` wrote, forced durations (one track per chunk) back as tensors."""
        tracks = data.get("durations")
        return cls(int(data["seed"]), None if tracks is None else
                   tuple(torch.tensor(track, dtype=torch.long) for track in tracks))


class KokoroRunHook:
    """The `run` members of the Kokoro adapter."""

    layer_kinds = {"decoder": "decoder", "plbert": "plbert"}
    layer_names = {"decoder": ("decoder.encode", *(f"decoder.decode.{i}" for i in range(4)),
                               "decoder.generator.ups.0", "decoder.generator.ups.1", "decoder.generator.conv_post"),
                   "plbert": tuple(f"plbert.layer.{i}" for i in range(12))}
    n_layers = 12  # the most of any kind (a kind's own range is checked by layer_site)
    # where voice identity could enter: the style halves, the predictor's style-conditioned stages, the decoder
    patch_sites = ("style.prosody", "style.timbre", "predictor.text_encoder", "predictor.lstm", "predictor.F0_proj",
                   "predictor.N_proj", "decoder.encode", "decoder.decode.*", "decoder.generator.ups.*",
                   "decoder.generator.conv_post")
    pool_runs = True  # a direction's sample is a run (its rows averaged): runs differ in length, voices do not
    request_type = KokoroRequest
    selection_fields = ("frames", "segments", "positions")  # what a Read's or Write's Selection may set here
    settings_type = KokoroSettings

    @staticmethod
    def run_audio(run: ForwardRun) -> Any:
        """The run's waveform (every chunk's audio joined)."""
        return run.audio.numpy()

    def check_request(self: Any, request: KokoroRequest) -> None:
        """Refuse a request without a voice (Kokoro has no default speaker)."""
        if not getattr(request, "voice", None):
            raise BadInputError(f"{self.model_id} speaks in a named voice: give one (--voice af_heart, voice= in "
                                "Python; `tts-interp voices` lists them)")

    def run(self: Any, engine: Engine, prompt: KokoroUtterance, settings: KokoroSettings, reads: Sequence[Read] = (),
            writes: Sequence[Write] = (), store: Any = None) -> ForwardRun:
        """One synthesis of every chunk with `settings`, with reads and writes."""
        run = synthesize(engine, self, prompt.chunks, settings.seed, reads, writes, store,
                         None if settings.durations is None else list(settings.durations))
        run.prompt, run.settings = prompt, settings
        return run

    @staticmethod
    def request_of(text: str, voice: dict[str, Any]) -> KokoroRequest:
        """A request from text and voice fields: `speaker` is the voice, `language` (auto: the voice's own)."""
        unused = sorted(k for k, v in voice.items() if v and k not in ("speaker", "language"))
        if unused:
            flags = ", ".join("--" + k.replace("_", "-") for k in unused)
            raise BadInputError(f"Kokoro speaks in a named voice (--voice, voice= in Python); it has no {flags}")
        language = voice.get("language")
        return KokoroRequest(text, voice.get("speaker") or "", None if language in (None, "auto") else language)

    @staticmethod
    def settings_of(seed: int, greedy: bool, max_frames: int) -> KokoroSettings:
        """A synthesis at `seed` (Kokoro has no decoding: `greedy` and `max_frames` do not apply)."""
        return KokoroSettings(seed)

    def deterministic_settings(self, max_frames: int) -> KokoroSettings:
        """Seed 0 (a synthesis' length comes from its predicted durations, not `max_frames`)."""
        return KokoroSettings()

    def aligned_settings(self, settings: KokoroSettings, run: ForwardRun) -> KokoroSettings:
        """The same seed with `run`'s durations forced: another voice's run then has the same frames."""
        return replace(settings, durations=tuple(run.durations))

    def layer_site(self, layer: int, kind: str = "decoder") -> str:
        if kind not in self.layer_kinds:
            raise UnknownNameError("Kokoro layer kind", kind, list(self.layer_kinds))
        names = self.layer_names[kind]
        if not 0 <= layer < len(names):
            raise OutOfRangeError(f"Kokoro {kind} layer", layer, f"0..{len(names) - 1}")
        return names[layer]

    def write_run(self: Any, out_dir: Path, run: ForwardRun, config: dict[str, Any] | None,
                  extra: dict[str, Any] | None = None) -> dict[str, Any]:
        """audio.wav, alignment.lab and result.json, as `tts-interp kokoro generate` writes them."""
        from tts_interp.models.kokoro.rundir import write_forward_run

        return write_forward_run(out_dir, self, run, config, extra)
