"""The committed speech fixtures (tests/fixtures/speech): paths, speakers, texts, and a shared evaluator."""

from __future__ import annotations

import json
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "speech"
MANIFEST = json.loads((FIXTURES / "manifest.json").read_text())
CLIPS = {c["file"]: c for c in MANIFEST["clips"]}
KOKORO_VOICES = ("jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro", "jm_kumo")


def clip(name: str) -> Path:
    return FIXTURES / name


def voice_clips(voice: str) -> list[Path]:
    """The three Harvard-sentence clips of one Kokoro voice."""
    return [clip(f"kokoro_{voice}_{s}.flac") for s in ("s1", "s2", "s3")]


def speakers() -> dict[str, list[Path]]:
    """Speaker -> clips, for every speaker with at least two clips of its own (morph series excluded)."""
    out: dict[str, list[Path]] = {}
    for c in MANIFEST["clips"]:
        if c["kind"] != "morph" and "speed" not in c:
            out.setdefault(c["speaker"], []).append(clip(c["file"]))
    return {k: v for k, v in out.items() if len(v) >= 2}
