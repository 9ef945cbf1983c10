"""Text -> Kokoro phoneme tokens through misaki's espeak-ng G2P (no spaCy), with words and sentence chunks.

Kokoro takes at most 510 phoneme tokens per forward. Longer text is split at sentence boundaries into
chunks that each fit; a single sentence over the limit is refused with the limit named.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from tts_interp.core.errors import BadInputError, TTSInterpError, UnknownNameError
from tts_interp.models.kokoro.upstream import HINT, MAX_TOKENS

LANGUAGES = ("en-us", "en-gb")
SENTENCE_END = re.compile(r"(?<=[.!?;])\s+")
PUNCTUATION = frozenset(';:,.!?—…"()“” ')  # tokens that are pauses, not sounds


@dataclass(frozen=True)
class Phonemized:
    """One chunk: its text, phoneme string, token ids (without the two boundary tokens) and words.

    `words` are (label, first, last) over token positions counted WITH the leading boundary token (position
    0), i.e. the positions a phoneme-side site sees; `dropped` lists phoneme symbols outside the vocabulary.
    """

    text: str
    phonemes: str
    ids: tuple[int, ...]
    words: tuple[tuple[str, int, int], ...]
    dropped: tuple[str, ...] = field(default_factory=tuple)


@lru_cache(maxsize=2)
def _g2p(language: str):  # noqa: ANN202 - misaki's EspeakG2P
    try:
        from misaki.espeak import EspeakG2P
    except ImportError as exc:
        raise TTSInterpError(f"misaki's espeak G2P is not importable ({exc}); {HINT}") from None
    return EspeakG2P(language=language)


def phonemize(text: str, language: str) -> str:
    if language not in LANGUAGES:
        raise UnknownNameError("language", language, LANGUAGES)
    phonemes, _ = _g2p(language)(text)
    return phonemes.strip()


def _words(text: str, phonemes: str) -> tuple[tuple[str, int, int], ...]:
    """Phoneme words (space-separated groups) at their token positions, labelled by the text's words when the
    counts agree (espeak sometimes joins words, e.g. `ʌvðə` for "of the"; then the phonemes are the label)."""
    groups = [(m.group(), m.start() + 1, m.end()) for m in re.finditer(r"\S+", phonemes)]
    text_words = text.split()
    same = len(text_words) == len(groups)
    return tuple((text_words[i] if same else g, a, b) for i, (g, a, b) in enumerate(groups))


def tokenize(text: str, language: str, vocab: dict[str, int]) -> Phonemized:
    """Phonemize one chunk of text and map it onto the vocabulary."""
    phonemes = phonemize(text, language)
    kept = "".join(p for p in phonemes if p in vocab)
    dropped = tuple(sorted({p for p in phonemes if p not in vocab}))
    if all(p in PUNCTUATION for p in kept):
        raise BadInputError(f"text {text!r} yields no phonemes Kokoro knows ({language}); give words to speak")
    return Phonemized(text, kept, tuple(vocab[p] for p in kept), _words(text, kept), dropped)


def chunk_text(text: str, language: str, vocab: dict[str, int]) -> list[Phonemized]:
    """Split text into sentence chunks of at most MAX_TOKENS phoneme tokens each (refuse a longer sentence)."""
    if not text or not text.strip():
        raise BadInputError("text is empty; give words to speak with --text")
    whole = tokenize(text.strip(), language, vocab)
    if len(whole.ids) <= MAX_TOKENS:
        return [whole]
    chunks: list[Phonemized] = []
    current = ""
    for sentence in SENTENCE_END.split(text.strip()):
        candidate = f"{current} {sentence}".strip()
        if current and len(tokenize(candidate, language, vocab).ids) > MAX_TOKENS:
            chunks.append(tokenize(current, language, vocab))
            candidate = sentence
        current = candidate
    chunks.append(tokenize(current, language, vocab))
    for chunk in chunks:
        if len(chunk.ids) > MAX_TOKENS:
            raise BadInputError(f"a sentence yields {len(chunk.ids)} phoneme tokens; Kokoro takes at most "
                                f"{MAX_TOKENS} per forward: split it ({chunk.text[:60]!r}...)")
    return chunks
