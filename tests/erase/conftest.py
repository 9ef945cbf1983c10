"""Kokoro-82M (the trained model, int8 build) loaded once for the erasure findings."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def kokoro(private_cache: None):
    from tts_interp.interventions.erase_runs import open_session

    return open_session("kokoro-82m", "cpu")
