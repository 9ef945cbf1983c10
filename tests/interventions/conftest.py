"""Fixtures for the talker intervention tests (the tiny models come from tests/conftest.py): codes, prompts."""

from __future__ import annotations

import pytest
import torch

from tts_interp.models.qwen3_tts.prompt import PromptRequest

TEXT = "hello world"
SHORT_INSTRUCT = "a deep slow male voice"
LONG_INSTRUCT = "a bright fast female voice speak softly"


@pytest.fixture(scope="session")
def codes() -> torch.Tensor:
    """Five frames of fixed random codes to teacher-force (any valid codes will do for the invariants)."""
    return torch.randint(0, 2048, (5, 16), generator=torch.Generator().manual_seed(0))


@pytest.fixture
def short_vs_long() -> tuple[PromptRequest, PromptRequest]:
    """Two VoiceDesign prompts whose instructs have different token counts."""
    return PromptRequest(TEXT, instruct=SHORT_INSTRUCT), PromptRequest(TEXT, instruct=LONG_INSTRUCT)


@pytest.fixture
def two_speakers() -> tuple[PromptRequest, PromptRequest]:
    """Two CustomVoice prompts that differ only in the speaker (every segment of equal length)."""
    return PromptRequest(TEXT, speaker="aria"), PromptRequest(TEXT, speaker="bram")


@pytest.fixture
def request_a() -> PromptRequest:
    """A VoiceDesign prompt with a short instruct."""
    return PromptRequest(TEXT, instruct=SHORT_INSTRUCT)
