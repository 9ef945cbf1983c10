"""Fixtures for the codebook lab: a private cache, the tiny codecs, small synthetic speech-like data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

SPEAKER_F0 = {"low": 110.0, "mid": 160.0, "high": 230.0}
PHONES = ("a", "i")


@pytest.fixture(scope="session", autouse=True)
def codecs_private_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Build tiny codecs into this session's cache, never the user's; never reach the hub."""
    mp = pytest.MonkeyPatch()
    mp.setenv("TTS_INTERP_CACHE", str(tmp_path_factory.mktemp("codecs-cache")))
    mp.setenv("HF_HUB_OFFLINE", "1")
    yield
    mp.undo()


@pytest.fixture(scope="session")
def qwen(codecs_private_cache: None):
    from tts_interp.codecs import load_codec

    return load_codec("tiny-qwen12hz")


def voiced_clip(f0: float, phones: list[str], seconds_per_phone: float, sr: int, seed: int) -> np.ndarray:
    """A harmonic voice-like signal: F0 with slight vibrato; each phone weights the harmonics differently."""
    rng = np.random.default_rng(seed)
    n = int(seconds_per_phone * sr)
    out = []
    for index, phone in enumerate(phones):
        t = (np.arange(n) + index * n) / sr
        phase = 2 * np.pi * np.cumsum(f0 * (1 + 0.02 * np.sin(2 * np.pi * 5 * t))) / sr
        weights = [1.0, 0.6, 0.1, 0.05] if phone == "a" else [1.0, 0.05, 0.5, 0.4]
        out.append(sum(w * np.sin((h + 1) * phase) for h, w in enumerate(weights)))
    clip = np.concatenate(out)
    return (0.3 * clip / np.abs(clip).max() + 0.003 * rng.standard_normal(len(clip))).astype(np.float32)


def write_lab(path: Path, phones: list[str], seconds_per_phone: float) -> None:
    lines = [
        f"{int(i * seconds_per_phone * 1e7)} {int((i + 1) * seconds_per_phone * 1e7)} {p}"
        for i, p in enumerate(phones)
    ]
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="session")
def tone_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3 speakers (different F0) x 3 utterances of 1.2 s at 16 kHz, HTS .lab alignments, CSV manifest."""
    root = tmp_path_factory.mktemp("tones")
    rows = ["path,speaker,text,alignment"]
    for s_index, (speaker, f0) in enumerate(SPEAKER_F0.items()):
        for u in range(3):
            phones = [PHONES[(i + u) % 2] for i in range(6)]
            name = f"{speaker}_{u}"
            sf.write(
                root / f"{name}.flac",
                voiced_clip(f0 * (1 + 0.05 * u), phones, 0.2, 16000, 10 * s_index + u),
                16000,
            )
            write_lab(root / f"{name}.lab", phones, 0.2)
            rows.append(f"{name}.flac,{speaker},,{name}.lab")
    (root / "manifest.csv").write_text("\n".join(rows) + "\n")
    return root
