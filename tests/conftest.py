"""Shared fixtures: a private cache for built-in checkpoints, loaded tiny models, a reference clip."""

from __future__ import annotations

import sys
from collections.abc import Callable

import numpy as np
import pytest
import soundfile as sf
import torch


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Build the tiny checkpoints into a cache of this test session, never the user's; never reach the hub.

    Tiny models also run fastest on one torch thread (far faster than two on a busy 2-core machine).
    """
    torch.set_num_threads(1)
    mp = pytest.MonkeyPatch()
    mp.setenv("TTS_INTERP_CACHE", str(tmp_path_factory.mktemp("tts-interp-cache")))
    mp.setenv("HF_HUB_OFFLINE", "1")
    yield
    mp.undo()


@pytest.fixture(scope="session")
def voicedesign(private_cache: None):
    from tts_interp.interventions.session import Session

    return Session("tiny-qwen3-tts-voicedesign", "cpu", "float32")


@pytest.fixture(scope="session")
def customvoice(private_cache: None):
    from tts_interp.interventions.session import Session

    return Session("tiny-qwen3-tts-customvoice", "cpu", "float32")


@pytest.fixture(scope="session")
def base(private_cache: None):
    from tts_interp.interventions.session import Session

    return Session("tiny-qwen3-tts-base", "cpu", "float32")


@pytest.fixture(scope="session")
def ref_clip(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A 2-s voiced-like harmonic clip at 16 kHz (the tiny models' audio is noise anyway)."""
    sr = 16000
    t = np.arange(2 * sr) / sr
    f0 = 120 + 20 * np.sin(2 * np.pi * 0.5 * t)
    phase = 2 * np.pi * np.cumsum(f0) / sr
    wave = sum(np.sin(k * phase) / k for k in range(1, 8)) * 0.2 * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))
    path = tmp_path_factory.mktemp("ref") / "ref.wav"
    sf.write(str(path), wave.astype(np.float32), sr)
    return str(path)


def same_codes(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.shape == b.shape and bool(torch.equal(a, b))


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Run `tts-interp ARGS...` in-process through the console entry point: (exit code, stdout, stderr)."""
    from tts_interp.cli.app import main

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["tts-interp", *args])
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run

