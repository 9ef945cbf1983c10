"""Session fixtures for the real Whisper tiny.en checks: the model (built once from the CTranslate2 file into
the session's private cache) and one aligned corpus scanned once at encoder layer 2's MLP neurons."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from feature_data import SCAN_SITE, scan_corpus

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "speech"
THREADS = 2  # Whisper tiny.en (38M parameters) runs faster on two torch threads than on the suite's one


@pytest.fixture(autouse=True)
def whisper_threads():
    from tts_interp.core.device import torch_threads

    with torch_threads(THREADS):
        yield


@pytest.fixture(scope="session")
def whisper_tiny(private_cache: None):
    from tts_interp.models.whisper.adapter import WhisperAdapter

    return WhisperAdapter.load("whisper-tiny.en")


@pytest.fixture(scope="session")
def layer2_scan(whisper_tiny):
    from tts_interp.core.device import torch_threads
    from tts_interp.interventions.features.scan import scan_units

    with torch_threads(THREADS):  # a session fixture is set up before the per-test thread setting
        return scan_units(whisper_tiny, scan_corpus(), SCAN_SITE, k=20)


@pytest.fixture(scope="session")
def english_fixtures() -> list[tuple[str, np.ndarray, str]]:
    """(id, 16 kHz audio, text) of the committed English speech fixtures (recorded and Kokoro)."""
    manifest = json.loads((FIXTURES / "manifest.json").read_text())
    clips = []
    for row in manifest["clips"]:
        audio, rate = sf.read(str(FIXTURES / row["file"]), dtype="float32")
        assert rate == 16_000
        clips.append((Path(row["file"]).stem, audio, row["text"]))
    return clips
