"""Non-speech sounds synthesised with numpy, and mixing a sound under speech at a chosen SNR.

Kinds: silence, white noise, pink noise (1/f power), pure tones, and music-like clips (a seeded sequence of
chords with harmonics and note envelopes). They probe which encoder units answer to noise and not to speech.
"""

from __future__ import annotations

import numpy as np

from tts_interp.core.errors import BadInputError, UnknownNameError

KINDS = ("silence", "white", "pink", "tone", "music")


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if len(x) else 0.0


def make_sound(kind: str, seconds: float, sample_rate: int = 16_000, seed: int = 0, level: float = 0.1) -> np.ndarray:
    """A `kind` sound of `seconds`, RMS `level` (silence is zeros)."""
    n = int(round(seconds * sample_rate))
    rng = np.random.default_rng(seed)
    t = np.arange(n) / sample_rate
    if kind == "silence":
        return np.zeros(n, dtype=np.float32)
    if kind == "white":
        x = rng.standard_normal(n)
    elif kind == "pink":
        spectrum = np.fft.rfft(rng.standard_normal(n))
        freqs = np.fft.rfftfreq(n, 1 / sample_rate)
        spectrum[1:] /= np.sqrt(freqs[1:])
        spectrum[0] = 0
        x = np.fft.irfft(spectrum, n)
    elif kind == "tone":
        x = np.sin(2 * np.pi * rng.uniform(200, 2000) * t)
    elif kind == "music":
        x = np.zeros(n)
        note = int(0.25 * sample_rate)
        for start in range(0, n, note):
            root = 220 * 2 ** (rng.integers(0, 12) / 12)
            seg = t[start:start + note] - t[start]
            envelope = np.exp(-seg * 6)
            for ratio in (1.0, 1.26, 1.5):  # a major triad, three harmonics each
                for h in (1, 2, 3):
                    x[start:start + note] += envelope * np.sin(2 * np.pi * root * ratio * h * seg) / h
    else:
        raise UnknownNameError("non-speech kind", kind, KINDS)
    return (x * (level / max(_rms(x), 1e-12))).astype(np.float32)


def mix_at_snr(speech: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """`speech + g * noise` with g chosen so that 10 log10(P_speech / P_noise) = snr_db (noise tiled/cut)."""
    if _rms(speech) == 0 or _rms(noise) == 0:
        raise BadInputError("mix_at_snr needs speech and noise that are not silent")
    noise = np.resize(noise, len(speech))
    gain = _rms(speech) / (_rms(noise) * 10 ** (snr_db / 20))
    mixed = speech + gain * noise
    peak = float(np.abs(mixed).max())
    return (mixed * (0.95 / peak) if peak > 0.95 else mixed).astype(np.float32)
