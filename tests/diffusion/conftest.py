"""Fixtures of the diffusion-TTS tests: one torch thread, loaded tiny models (cache and clip: tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch

from tts_interp.interventions.session import Session
from tts_interp.models.denoising.settings import SamplerSettings

STEPS = 4


@pytest.fixture(scope="module", autouse=True)
def one_thread() -> Iterator[None]:
    """Tiny convolutions gain nothing from threads, and on a busy 2-core runner thread spinning makes them 10x slower
    (module scope: restored after each of these modules, so other test folders keep torch's default)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def multispeaker(private_cache: None) -> Session:
    return Session("tiny-grad-tts-multispeaker")


@pytest.fixture(scope="session")
def single(private_cache: None) -> Session:
    return Session("tiny-grad-tts")


@pytest.fixture(scope="session")
def f5(private_cache: None) -> Session:
    return Session("tiny-f5-tts")


@pytest.fixture
def settings() -> SamplerSettings:
    return SamplerSettings(steps=STEPS, seed=3)

