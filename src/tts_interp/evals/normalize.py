"""Text normalisation before WER/CER: the Whisper English normaliser or the Seed-TTS-eval style.

`whisper` is OpenAI's English normaliser as packaged by `whisper-normalizer` (numbers to digits, spelling
map, contractions expanded); `seed-tts` is Seed-TTS-eval's: lowercase and strip punctuation except
apostrophes. The name used is recorded with every result.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from functools import cache

from tts_interp.core.errors import UnknownNameError

NORMALIZERS = ("whisper", "seed-tts")
_PUNCTUATION_BUT_APOSTROPHE = "".join(c for c in string.punctuation if c != "'")


def seed_tts_normalize(text: str) -> str:
    """Seed-TTS-eval style: drop punctuation except apostrophes, lowercase, collapse spaces."""
    stripped = text.translate(str.maketrans(_PUNCTUATION_BUT_APOSTROPHE, " " * len(_PUNCTUATION_BUT_APOSTROPHE)))
    return re.sub(r"\s+", " ", stripped.lower()).strip()


@cache
def get_normalizer(name: str) -> Callable[[str], str]:
    """The normaliser called `name` (one of NORMALIZERS)."""
    if name == "whisper":
        from whisper_normalizer.english import EnglishTextNormalizer

        whisper = EnglishTextNormalizer()
        return lambda text: re.sub(r"\s+", " ", whisper(text)).strip()
    if name == "seed-tts":
        return seed_tts_normalize
    raise UnknownNameError("normaliser", name, NORMALIZERS)


def normalizer_version(name: str) -> str:
    """What to record about a normaliser: its package and version."""
    if name == "whisper":
        from importlib.metadata import version

        return f"whisper-normalizer {version('whisper-normalizer')} (OpenAI Whisper EnglishTextNormalizer)"
    return "seed-tts-eval style (lowercase, punctuation stripped except apostrophes)"
