"""Frame-level F0 targets for pitch probes: pYIN at 10 ms, summarised per codec frame.

Each codec frame gets the median F0 of the voiced pYIN frames whose centres fall inside it, and counts as
voiced when most of them are voiced; so the same audio gives comparable targets at 12.5 Hz (Qwen, Mimi) and
75 Hz (EnCodec).
"""

from __future__ import annotations

import numpy as np

PYIN_SR = 16000
PYIN_HOP = 160  # 10 ms
PYIN_FRAME = 1024  # 64 ms: at least two periods of the lowest F0
FMIN, FMAX = 50.0, 500.0


def pyin_track(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """F0 in Hz (NaN where unvoiced) and the voiced flag per 10 ms frame of 16 kHz audio."""
    import librosa

    padded = np.pad(samples.astype(np.float32), (0, max(0, PYIN_FRAME - len(samples))))
    f0, voiced, _ = librosa.pyin(
        padded, fmin=FMIN, fmax=FMAX, sr=PYIN_SR, frame_length=PYIN_FRAME, hop_length=PYIN_HOP, center=True
    )
    return f0.astype(np.float32), voiced.astype(bool)


def frame_f0(samples: np.ndarray, n_frames: int, frame_rate: float) -> tuple[np.ndarray, np.ndarray]:
    """F0 (Hz, NaN if unvoiced) and voiced flag for each of `n_frames` codec frames of 16 kHz `samples`."""
    f0, voiced = pyin_track(samples)
    centres = np.arange(len(f0)) * PYIN_HOP / PYIN_SR
    owner = np.floor(centres * frame_rate).astype(int)
    out_f0 = np.full(n_frames, np.nan, dtype=np.float32)
    out_voiced = np.zeros(n_frames, dtype=bool)
    for frame in range(n_frames):
        inside = owner == frame
        if inside.any() and voiced[inside].mean() > 0.5:
            out_f0[frame] = float(np.nanmedian(f0[inside & voiced]))
            out_voiced[frame] = True
    return out_f0, out_voiced
