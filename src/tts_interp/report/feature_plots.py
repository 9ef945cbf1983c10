"""A unit's top examples as pictures: the log-mel spectrogram of each +/-0.5 s snippet with the unit's
activation drawn over it (right axis), one panel per example."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from tts_interp.report.figures import pyplot


def log_mel(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """80-band log-mel, 10 ms hop (Whisper's front end), as (80, frames)."""
    import librosa

    mel = librosa.feature.melspectrogram(y=audio.astype(np.float32), sr=sample_rate, n_fft=400, hop_length=160,
                                         n_mels=80)
    return np.log10(np.maximum(mel, 1e-10))


def snippet_panels(examples: Sequence[dict], path: Path, title: str, sample_rate: int = 16_000) -> Path:
    """`examples`: dicts with `audio` (snippet), `activation` (per 20 ms frame over the snippet), `label`."""
    plt = pyplot()
    fig, axes = plt.subplots(1, len(examples), figsize=(2.6 * len(examples), 2.6), squeeze=False)
    for ax, example in zip(axes[0], examples, strict=True):
        mel = log_mel(example["audio"], sample_rate)
        seconds = len(example["audio"]) / sample_rate
        ax.imshow(mel, origin="lower", aspect="auto", extent=(0, seconds, 0, 80), cmap="magma")
        twin = ax.twinx()
        acts = np.asarray(example["activation"], dtype=float)
        twin.plot((np.arange(len(acts)) + 0.5) * seconds / max(len(acts), 1), acts, color="cyan", lw=1.5)
        twin.tick_params(labelsize=6)
        ax.axvline(example.get("centre", seconds / 2), color="white", lw=0.6, ls="--")
        ax.set_title(example["label"], fontsize=7)
        ax.set_xlabel("s", fontsize=7)
        ax.tick_params(labelsize=6)
    axes[0][0].set_ylabel("mel band", fontsize=7)
    fig.suptitle(title, fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
