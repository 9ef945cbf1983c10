"""Kokoro's voices: style tables [510, 1, 256] (row = phoneme count - 1), their labels, and voice mixes.

The 54 v1.0 voices ship in the `kokoro` 0.9.4 sdist as `kokoro.js/voices/*.bin` (raw little-endian float32).
A name's first letter is the language/accent, its second the gender (`af_heart`: American English, female).
`af_heart:0.7,am_michael:0.3` mixes tables with weights (normalised by their sum).
"""

from __future__ import annotations

import math
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from tts_interp.core.errors import BadInputError, TTSInterpError, UnknownNameError
from tts_interp.core.paths import cache_dir

SDIST = "kokoro-0.9.4.tar.gz"
SDIST_SHARE = Path(sys.prefix) / "share" / "tts-interp"  # where scripts/setup.sh puts it
TABLE_SHAPE = (510, 1, 256)
ACCENTS = {"a": ("en-us", "American English"), "b": ("en-gb", "British English"), "e": ("es", "Spanish"),
           "f": ("fr-fr", "French"), "h": ("hi", "Hindi"), "i": ("it", "Italian"), "j": ("ja", "Japanese"),
           "p": ("pt-br", "Brazilian Portuguese"), "z": ("cmn", "Mandarin Chinese")}
GENDERS = {"f": "female", "m": "male"}


@dataclass(frozen=True)
class VoiceInfo:
    """A voice's labels, read from its name."""

    name: str
    language: str
    accent: str
    gender: str

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "language": self.language, "accent": self.accent, "gender": self.gender}


def voice_info(name: str) -> VoiceInfo:
    """Labels of a voice from its name (`af_heart` -> en-us, American English, female)."""
    if len(name) < 3 or name[0] not in ACCENTS or name[1] not in GENDERS or name[2] != "_":
        raise BadInputError(f"voice name {name!r} does not follow Kokoro's <accent><gender>_<name> pattern "
                            f"(accents {''.join(ACCENTS)}, genders f/m)")
    language, accent = ACCENTS[name[0]]
    return VoiceInfo(name, language, accent, GENDERS[name[1]])


def find_sdist() -> Path:
    """The kokoro 0.9.4 sdist: from the set-up's share folder or the cache; else downloaded from PyPI once."""
    for place in (SDIST_SHARE / SDIST, cache_dir() / "downloads" / SDIST):
        if place.is_file():
            return place
    target = cache_dir() / "downloads"
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", "kokoro", "kokoro==0.9.4",
               "-d", str(target), "-q", "--disable-pip-version-check"]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0 or not (target / SDIST).is_file():
        raise TTSInterpError(f"Kokoro's voices come from the kokoro 0.9.4 sdist, which is neither in {SDIST_SHARE} "
                             f"nor in {target}, and `pip download` of it failed ({result.stderr.strip()[-200:]}); "
                             f"run `make setup` on a machine that reaches PyPI, or copy {SDIST} into {target}")
    return target / SDIST


def read_sdist_voices(sdist: Path) -> dict[str, np.ndarray]:
    """Every `kokoro.js/voices/*.bin` in the sdist as a float32 [510, 1, 256] array, by name."""
    voices: dict[str, np.ndarray] = {}
    with tarfile.open(sdist) as archive:
        for member in archive.getmembers():
            path = Path(member.name)
            if path.parent.name == "voices" and path.parent.parent.name == "kokoro.js" and path.suffix == ".bin":
                data = archive.extractfile(member).read()  # type: ignore[union-attr]
                voices[path.stem] = np.frombuffer(data, dtype="<f4").reshape(TABLE_SHAPE).copy()
    if not voices:
        raise TTSInterpError(f"{sdist} holds no kokoro.js/voices/*.bin")
    return voices


def parse_mix(spec: str, known: list[str]) -> list[tuple[str, float]]:
    """`af_heart` or `af_heart:0.7,am_michael:0.3` -> [(name, weight)]; unknown names and bad weights fail."""
    if not spec or not spec.strip():
        raise BadInputError(f"give a voice, e.g. --voice af_heart; valid: {', '.join(known)}")
    parts: list[tuple[str, float]] = []
    for item in spec.split(","):
        name, _, weight = item.strip().partition(":")
        name = name.strip()
        if name not in known:
            raise UnknownNameError("voice", name, known)
        try:
            value = float(weight) if weight.strip() else 1.0
        except ValueError:
            raise BadInputError(f"voice weight {weight!r} in {spec!r} is not a number; write e.g. "
                                "af_heart:0.7,am_michael:0.3") from None
        if not math.isfinite(value):
            raise BadInputError(f"voice weight {weight!r} in {spec!r} is not finite")
        parts.append((name, value))
    if abs(sum(w for _, w in parts)) < 1e-9:
        raise BadInputError(f"voice weights in {spec!r} sum to 0; they are normalised by their sum")
    return parts


def mix_table(tables: dict[str, torch.Tensor], parts: list[tuple[str, float]]) -> torch.Tensor:
    """The weighted mean of the named voices' tables."""
    total = sum(w for _, w in parts)
    return sum(tables[name].float() * (w / total) for name, w in parts)  # type: ignore[return-value]
