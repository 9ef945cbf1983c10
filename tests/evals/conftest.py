"""Eval-harness fixtures: one evaluator per test session, so each backend loads once."""

from __future__ import annotations

import pytest

from tts_interp.evals.score_config import ScoreConfig
from tts_interp.evals.scoring import Evaluator


@pytest.fixture(scope="session")
def evaluator(private_cache: None) -> Evaluator:
    """resemblyzer + faster-whisper tiny.en (both offline) on CPU, all scorers, whisper normaliser."""
    return Evaluator(ScoreConfig(device="cpu", batch_size=8))


@pytest.fixture(scope="session")
def asr_evaluator(private_cache: None) -> Evaluator:
    """Words and prosody only (items need no speaker clips)."""
    return Evaluator(ScoreConfig(scorers=("asr", "prosody"), device="cpu", batch_size=8))
