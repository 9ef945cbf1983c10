"""Audio in and out: read any file or array, check it is usable speech material, resample, write WAV.

Every model and scorer takes audio through `load_audio`, so bad audio (unreadable, empty, silent, NaN,
wrong rank) fails the same way everywhere, with the file named.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

from tts_interp.core.errors import BadInputError

SILENCE_PEAK = 1e-4  # below this peak amplitude a clip carries no usable signal


@dataclass(frozen=True)
class Audio:
    """A mono float32 waveform in [-1, 1] and its sample rate."""

    samples: np.ndarray
    sample_rate: int

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.sample_rate


def resample(samples: np.ndarray, from_sr: int, to_sr: int) -> np.ndarray:
    """Polyphase resampling by the exact rational ratio to_sr/from_sr."""
    if from_sr <= 0 or to_sr <= 0:
        raise BadInputError(f"sample rates must be positive, got {from_sr} -> {to_sr}")
    if from_sr == to_sr:
        return samples.astype(np.float32, copy=False)
    ratio = Fraction(to_sr, from_sr)
    out = resample_poly(samples.astype(np.float64), ratio.numerator, ratio.denominator)
    return out.astype(np.float32)


def to_mono(samples: np.ndarray, name: str) -> np.ndarray:
    """Average channels of a (n,) / (n, channels) / (channels, n) array; reject any other rank."""
    if samples.ndim == 1:
        return samples
    if samples.ndim == 2:
        channel_axis = 1 if samples.shape[1] <= samples.shape[0] else 0
        return samples.mean(axis=channel_axis)
    raise BadInputError(f"audio {name} has rank {samples.ndim} (shape {tuple(samples.shape)}); expected a 1-D mono "
                        "waveform or a 2-D (samples, channels) array")


def check_audio(samples: np.ndarray, name: str, sample_rate: int, min_seconds: float = 0.0) -> None:
    """Raise BadInputError if a waveform is empty, non-finite, silent or shorter than `min_seconds`."""
    if samples.size == 0:
        raise BadInputError(f"audio {name} is empty (0 samples)")
    if not np.all(np.isfinite(samples)):
        raise BadInputError(f"audio {name} contains NaN or infinite samples")
    if float(np.max(np.abs(samples))) < SILENCE_PEAK:
        raise BadInputError(f"audio {name} is silent (peak amplitude below {SILENCE_PEAK})")
    if len(samples) / sample_rate < min_seconds:
        raise BadInputError(f"audio {name} is {len(samples) / sample_rate:.2f} s long; at least {min_seconds} s needed")


def load_audio(source: str | Path | np.ndarray, target_sr: int, source_sr: int | None = None,
               min_seconds: float = 0.0) -> Audio:
    """Read a file (any format soundfile reads) or take an array, downmix to mono, check, resample."""
    if isinstance(source, np.ndarray):
        if source_sr is None:
            raise BadInputError("an audio array needs its sample rate")
        name, samples, sr = "array", np.asarray(source, dtype=np.float32), int(source_sr)
    else:
        path = Path(source)
        name = str(path)
        if not path.is_file():
            raise BadInputError(f"audio file {path} does not exist")
        try:
            samples, sr = sf.read(str(path), dtype="float32", always_2d=False)
        except Exception as exc:  # soundfile raises several types for unreadable files
            raise BadInputError(f"audio file {path} cannot be read: {exc}") from None
    samples = to_mono(samples, name)
    check_audio(samples, name, sr, min_seconds)
    return Audio(resample(samples, sr, target_sr), target_sr)


def write_wav(path: Path, samples: np.ndarray, sample_rate: int) -> Path:
    """Write a mono float waveform as 16-bit PCM WAV, clipped to [-1, 1]."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), np.clip(np.asarray(samples, dtype=np.float32), -1.0, 1.0), sample_rate, subtype="PCM_16")
    return path
