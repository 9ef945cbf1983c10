"""Prosody: F0 by pYIN (librosa), its shift in semitones between clips, duration and speaking rate."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SAMPLE_RATE = 16_000
F0_MIN_HZ, F0_MAX_HZ = 50.0, 600.0  # covers low male to high female/child voices
PYIN_RESOLUTION = 0.2  # semitone fraction per pitch bin: 20 cents, far finer than the shifts measured
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
    import librosa

    f0, voiced, _ = librosa.pyin(samples, fmin=F0_MIN_HZ, fmax=F0_MAX_HZ, sr=SAMPLE_RATE, frame_length=1024,
                                 resolution=PYIN_RESOLUTION)
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
