"""What a scoring run is: its settings (`ScoreConfig`, saved with every result), the columns of a row, what an
item must hold for each scorer, and how a clip is loaded and checked."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from tts_interp.core.audio import load_audio
from tts_interp.core.errors import BadInputError, UnknownNameError
from tts_interp.evals.asr import ASR_BACKENDS
from tts_interp.evals.items import EvalItem
from tts_interp.evals.normalize import NORMALIZERS
from tts_interp.evals.scorer_names import ALL_SCORERS, SCORERS
from tts_interp.evals.speaker import SPEAKER_BACKENDS

SAMPLE_RATE = 16_000
CLIP_LEVEL = 0.999  # a sample at or above this magnitude is at full scale
MAX_CLIPPED_SHARE = 0.01  # more than 1% of samples at full scale: the clip is clipped

ROW_COLUMNS = ("id", "status", "error", "audio", "wer", "cer", "similarity", "identity_shift",
               "identity_shift_raw", "identity_shift_scale", "identity_shift_cosine", "source_target_similarity",
               "target_score", "f0_shift_semitones", "f0_mean_hz", "f0_median_hz", "duration_s", "speech_s",
               "speaking_rate_wps", "word_errors", "ref_words", "char_errors", "ref_chars", "hypothesis",
               "reference_normalized", "hypothesis_normalized")


@dataclass(frozen=True)
class ScoreConfig:
    """Which scorers run (item scorers per clip, set scorers such as `attackers` over the scored set), with which
    backends, models, normaliser and device (saved with every result)."""

    scorers: tuple[str, ...] = SCORERS
    speaker: str = "resemblyzer"
    speaker_model: str | None = None
    verifiers: tuple[str, ...] = ()  # the attackers' speaker verifiers (default: `speaker` alone)
    per_row: bool = False  # True: each row gets the scorers its fields allow (the default scorers of `eval`)
    asr: str = "faster-whisper"
    asr_model: str | None = None
    normalizer: str = "whisper"
    device: str = "auto"
    batch_size: int = 16
    seed: int = 0

    def validated(self) -> ScoreConfig:
        """Check every name (unknown ones fail with the valid choices) and return self."""
        for scorer in self.scorers:
            if scorer not in ALL_SCORERS:
                raise UnknownNameError("scorer", scorer, ALL_SCORERS)
        if not self.scorers:
            raise BadInputError(f"no scorers chosen; valid: {', '.join(ALL_SCORERS)}")
        for name in (self.speaker, *self.verifiers):
            if name not in SPEAKER_BACKENDS:
                raise UnknownNameError("speaker backend", name, SPEAKER_BACKENDS)
        if self.asr not in ASR_BACKENDS:
            raise UnknownNameError("ASR backend", self.asr, ASR_BACKENDS)
        if self.normalizer not in NORMALIZERS:
            raise UnknownNameError("normaliser", self.normalizer, NORMALIZERS)
        if self.batch_size < 1:
            raise BadInputError(f"batch size must be at least 1, got {self.batch_size}")
        return self

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScoreConfig:
        unknown = sorted(set(data) - set(cls.__dataclass_fields__))
        if unknown:
            raise BadInputError(f"unknown scoring option(s) {unknown}; valid: {', '.join(cls.__dataclass_fields__)}")
        values = dict(data)
        for key in ("scorers", "verifiers"):
            if key in values:
                values[key] = tuple(values[key])
        return replace(cls(), **values).validated()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_clip(path: Path) -> np.ndarray:
    """Load a clip at 16 kHz mono; reject unreadable, empty, silent, non-finite and clipped audio."""
    samples = load_audio(path, SAMPLE_RATE).samples
    clipped = float(np.mean(np.abs(samples) >= CLIP_LEVEL))
    if clipped > MAX_CLIPPED_SHARE:
        raise BadInputError(f"audio {path} is clipped: {clipped:.1%} of samples at full scale (more than "
                            f"{MAX_CLIPPED_SHARE:.0%})")
    return samples


def absent_scorers(item: EvalItem) -> dict[str, str]:
    """Scorers this row gives nothing to score, and why: `speaker` without a reference clip or a source/target
    pair, `asr` without text (with per-row scorers they are skipped, not failed)."""
    out = {}
    if item.reference is None and item.source is None and item.target is None:
        out["speaker"] = "no reference clip (nor source and target)"
    if not item.text:
        out["asr"] = "no text"
    return out


def missing_fields(item: EvalItem, scorers: Iterable[str], per_row: bool = False) -> list[str]:
    """Why a requested scorer cannot run on this item (fields it needs that the row lacks); with `per_row`, a
    scorer the row gives nothing to is not a failure (absent_scorers), only a half-given pair is."""
    reasons = []
    if "speaker" in scorers and not (per_row and "speaker" in absent_scorers(item)):
        if (item.source is None) != (item.target is None):
            have, lack = ("source", "target") if item.target is None else ("target", "source")
            reasons.append(f"field {lack!r} is missing: an identity shift needs both source and target "
                           f"(the row has {have!r})")
        elif item.reference is None and item.source is None:
            reasons.append("scorer 'speaker' needs field 'reference' or fields 'source' and 'target'; the row "
                           "has none")
    return reasons  # a row without text simply gets no WER (it is not a failure)
