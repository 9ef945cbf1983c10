"""Kokoro-82M (real, trained weights; int8 build) loaded once per test session, and the runs several tests share.

The int8 build is made into the session's private cache (about 5-15 s); the voices come from the kokoro sdist
that `make setup` keeps in the venv (share/tts-interp).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tts_interp.core.device import torch_threads

PROBE_TEXT = "Hello there, how are you?"
THREADS = 2  # Kokoro-82M runs 1.8x faster on two torch threads than on one (tiny models prefer one)


@pytest.fixture(autouse=True)
def kokoro_threads():
    with torch_threads(THREADS):
        yield
DECODER_SITE = "decoder.decode.1"
STEER_SITE = "decoder.decode.3"  # the mission's site: the voice moves from here on and the words survive


@pytest.fixture(scope="session")
def kokoro(private_cache: None):
    from tts_interp.interventions.session import Session

    return Session("kokoro-82m", "cpu", needs=("synthesize",))


@pytest.fixture(scope="session")
def english_runs(kokoro, tmp_path_factory: pytest.TempPathFactory):
    """Every English voice speaking one text, read at style.timbre and two decoder sites, audio on disk."""
    from tts_interp.api.model import Model
    from tts_interp.interventions.kokoro import experiments as ex

    voices = Model(kokoro).voice_set(["@en-us,@en-gb"])
    audio_dir = tmp_path_factory.mktemp("english-runs")
    with torch_threads(THREADS):  # a session fixture is set up before the per-test thread setting
        collected = ex.collect(kokoro, voices, [PROBE_TEXT], ["style.timbre", "style.prosody", DECODER_SITE, STEER_SITE],
                               0, audio_dir)
    return collected, Path(audio_dir)


@pytest.fixture(scope="session")
def speaker_backend():
    import torch

    from tts_interp.evals.speaker import ResemblyzerBackend

    return ResemblyzerBackend(torch.device("cpu"))


@pytest.fixture(scope="session")
def asr_backend():
    import torch

    from tts_interp.evals.asr import FasterWhisperBackend

    return FasterWhisperBackend(torch.device("cpu"))
