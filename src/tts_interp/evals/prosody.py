"""Prosody: F0 by pYIN (librosa), its shift in semitones between clips, duration and speaking rate."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tts_interp.core.errors import BadInputError
from tts_interp.data.pitch import PYIN_SR as SAMPLE_RATE
from tts_interp.data.pitch import pyin_track
from tts_interp.evals.metrics import summary

TRIM_TOP_DB = 35.0  # leading/trailing audio this far below the peak is silence for the speaking rate


@dataclass(frozen=True)
class PitchTrack:
    """Voiced-frame F0 values (Hz) of a clip."""

    voiced_hz: np.ndarray

    @property
    def mean_hz(self) -> float | None:
        return float(np.mean(self.voiced_hz)) if len(self.voiced_hz) else None

    @property
    def median_hz(self) -> float | None:
        return float(np.median(self.voiced_hz)) if len(self.voiced_hz) else None


def pitch_track(samples: np.ndarray) -> PitchTrack:
    """pYIN F0 of a 16 kHz clip, voiced frames only."""
    f0, voiced = pyin_track(samples)
    return PitchTrack(f0[voiced & np.isfinite(f0)])


def pooled(tracks: list[PitchTrack]) -> PitchTrack:
    """One track from the voiced frames of several clips (a speaker's pitch)."""
    return PitchTrack(np.concatenate([t.voiced_hz for t in tracks]) if tracks else np.zeros(0))


def semitone_shift(edited: PitchTrack, baseline: PitchTrack) -> float | None:
    """12 * log2(median F0 edited / median F0 baseline); None if either has no voiced frame."""
    if edited.median_hz is None or baseline.median_hz is None:
        return None
    return float(12.0 * np.log2(edited.median_hz / baseline.median_hz))


def speech_seconds(samples: np.ndarray) -> float:
    """Duration without leading and trailing silence (pauses inside the speech count)."""
    import librosa

    trimmed, _ = librosa.effects.trim(samples, top_db=TRIM_TOP_DB)
    return len(trimmed) / SAMPLE_RATE


def speaking_rate(words: int, seconds: float) -> float | None:
    """Words per second of speech."""
    return words / seconds if seconds > 0 else None


CONTOUR_POINTS = 200  # both clips' speech spans are resampled to this many points before correlating


def contour(samples: np.ndarray) -> np.ndarray:
    """The F0 contour (semitones re 100 Hz, NaN where unvoiced) over the clip's speech span, resampled to
    CONTOUR_POINTS points: two clips of the same words at different speeds line up (linear time normalisation)."""
    import librosa

    _, (start, stop) = librosa.effects.trim(samples, top_db=TRIM_TOP_DB)
    f0, voiced = pyin_track(samples[start:stop])
    semitones = np.where(voiced & np.isfinite(f0), 12.0 * np.log2(np.maximum(f0, 1e-3) / 100.0), np.nan)
    positions = np.linspace(0, len(semitones) - 1, CONTOUR_POINTS)
    return semitones[np.round(positions).astype(int)] if len(semitones) else np.full(CONTOUR_POINTS, np.nan)


@dataclass(frozen=True)
class ProsodyProfile:
    """What prosody comparison needs of one clip: its normalised F0 contour and its speech duration."""

    contour: np.ndarray
    seconds: float

    @classmethod
    def of(cls, samples: np.ndarray) -> ProsodyProfile:
        return cls(contour(samples), speech_seconds(samples))


def prosody_kept(edited: ProsodyProfile, original: ProsodyProfile) -> dict[str, float | None]:
    """How much of the original's prosody an edited clip of the same words keeps: the Pearson correlation of the
    two F0 contours on the points voiced in both (None with fewer than 10), and the speaking-rate change
    (original speech duration / edited speech duration - 1: +0.1 = 10% faster)."""
    a, b = edited.contour, original.contour
    both = np.isfinite(a) & np.isfinite(b)
    usable = both.sum() >= 10 and a[both].std() > 0 and b[both].std() > 0
    return {"f0_correlation": float(np.corrcoef(a[both], b[both])[0, 1]) if usable else None,
            "rate_change": original.seconds / edited.seconds - 1.0 if edited.seconds > 0 else None}


class KeptProsody:
    """Per edited clip, the F0-contour correlation with its original and the speaking-rate change (computed once
    per clip, whatever the verifier); None when prosody is not scored."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.done: dict[Path, dict[str, float | None]] = {}
        self.profiles: dict[Path, Any] = {}

    def _profile(self, path: Path) -> Any:
        from tts_interp.evals.score_config import load_clip

        if path not in self.profiles:
            self.profiles[path] = ProsodyProfile.of(load_clip(path))
        return self.profiles[path]

    def __call__(self, members: Sequence[Any], seed: int) -> dict[str, Any]:
        """Mean [95% CI over clips] of both figures over a condition's clips (each with `audio` and `original`)."""
        if not self.enabled:
            return {}
        for c in members:
            if c.original is not None and c.audio not in self.done:
                try:
                    self.done[c.audio] = prosody_kept(self._profile(c.audio), self._profile(c.original))
                except (BadInputError, OSError):
                    self.done[c.audio] = {"f0_correlation": None, "rate_change": None}
        out: dict[str, Any] = {}
        for key in ("f0_correlation", "rate_change"):
            values = [self.done[c.audio][key] for c in members if c.audio in self.done]
            stat = summary([v for v in values if v is not None], seed=seed)
            out |= {key: stat["value"], f"{key}_ci95": stat["ci95"], f"{key}_n": stat["n"]}
        return out
