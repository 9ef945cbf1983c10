"""Embedding and transcribing Kokoro's 24-kHz audio with the eval harness's backends (16 kHz)."""

from __future__ import annotations

import numpy as np
import torch

from tts_interp.core.audio import resample
from tts_interp.evals.metrics import centroid, edit_counts
from tts_interp.evals.normalize import get_normalizer


def to_16k(audio: torch.Tensor | np.ndarray) -> np.ndarray:
    samples = audio.numpy() if isinstance(audio, torch.Tensor) else audio
    return resample(samples.astype(np.float32), 24000, 16000)


def embed(backend, clips: list) -> np.ndarray:  # noqa: ANN001 - a SpeakerBackend
    return backend.embed([backend.prepare(to_16k(c)) for c in clips])


def voice_centroid(backend, clips: list) -> np.ndarray:  # noqa: ANN001
    return centroid(embed(backend, clips))


def corpus_wer(backend, clips: list, texts: list[str]) -> float:  # noqa: ANN001 - an ASRBackend
    normalize = get_normalizer("whisper")
    hypotheses = backend.transcribe([to_16k(c) for c in clips])
    counts = [edit_counts(normalize(t), normalize(h)) for t, h in zip(texts, hypotheses, strict=True)]
    return sum(c.word_errors for c in counts) / sum(c.words for c in counts)
