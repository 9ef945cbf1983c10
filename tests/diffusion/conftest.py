"""Shared fixtures of the diffusion-TTS tests: a private built-in cache, loaded tiny models, a reference clip."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from tts_interp.interventions.hspace import DenoiserSession
from tts_interp.models.denoiser import SamplerSettings

STEPS = 4


@pytest.fixture(scope="session", autouse=True)
def builtin_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Build the tiny checkpoints into a fresh cache (unless TTS_INTERP_CACHE is already set)."""
    if os.environ.get("TTS_INTERP_CACHE"):
        yield Path(os.environ["TTS_INTERP_CACHE"])
        return
    path = tmp_path_factory.mktemp("tts-interp-cache")
    os.environ["TTS_INTERP_CACHE"] = str(path)
    yield path
    del os.environ["TTS_INTERP_CACHE"]


@pytest.fixture(scope="session", autouse=True)
def one_thread() -> Iterator[None]:
    """Tiny convolutions gain nothing from threads, and on a busy 2-core runner thread spinning makes them 10x slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def multispeaker() -> DenoiserSession:
    return DenoiserSession("tiny-grad-tts-multispeaker")


@pytest.fixture(scope="session")
def single() -> DenoiserSession:
    return DenoiserSession("tiny-grad-tts")


@pytest.fixture(scope="session")
def f5() -> DenoiserSession:
    return DenoiserSession("tiny-f5-tts")


@pytest.fixture(scope="session")
def ref_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 1.2 s voiced-like clip (a 140 Hz pulse train with a slow amplitude envelope) at 24 kHz."""
    sr = 24000
    t = np.arange(int(1.2 * sr)) / sr
    signal = sum(np.sin(2 * np.pi * 140 * k * t) / k for k in range(1, 8)) * (0.6 + 0.4 * np.sin(2 * np.pi * 2 * t))
    path = tmp_path_factory.mktemp("audio") / "ref.wav"
    sf.write(path, (0.2 * signal).astype(np.float32), sr)
    return path


@pytest.fixture
def settings() -> SamplerSettings:
    return SamplerSettings(steps=STEPS, seed=3)

