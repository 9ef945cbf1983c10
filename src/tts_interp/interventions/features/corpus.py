"""Corpora for feature discovery: clips with, where known, words and a phoneme under every frame.

Sources: `espeak[:N]` (N Harvard sentences spoken by espeak-ng voices, phoneme and word timings from the
synthesiser itself), `espeak-long[:N]` (N clips of 7 sentences each, about 20 s: ten times the frames per
30 s encoder window, for training SAEs), `nonspeech[:N]` (silence, noise, tones, music-like clips, and the same mixed under
espeak speech at chosen SNRs), or a dataset path (a manifest or folder read by `data.datasets`, with the
alignments it names). Clips are produced lazily, one at a time, so a pass over a corpus holds one batch.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tts_interp.core.audio import load_audio
from tts_interp.core.errors import BadInputError
from tts_interp.data.alignments import Interval, read_alignment
from tts_interp.data.datasets import load_dataset

SAMPLE_RATE = 16_000
HARVARD = (
    "The birch canoe slid on the smooth planks.", "Glue the sheet to the dark blue background.",
    "It's easy to tell the depth of a well.", "These days a chicken leg is a rare dish.",
    "Rice is often served in round bowls.", "The juice of lemons makes fine punch.",
    "The box was thrown beside the parked truck.", "The hogs were fed chopped corn and garbage.",
    "Four hours of steady work faced us.", "A large size in stockings is hard to sell.",
    "The boy was there when the sun rose.", "A rod is used to catch pink salmon.",
    "The source of the huge river is the clear spring.", "Kick the ball straight and follow through.",
    "Help the woman get back to her feet.", "A pot of tea helps to pass the evening.",
    "Smoky fires lack flame and heat.", "The soft cushion broke the man's fall.",
    "The salt breeze came across from the sea.", "The girl at the booth sold fifty bonds.",
    "The small pup gnawed a hole in the sock.", "The fish twisted and turned on the bent hook.",
    "Press the pants and sew a button on the vest.", "The swan dive was far short of perfect.",
    "The beauty of the view stunned the young boy.", "Two blue fish swam in the tank.",
    "Her purse was full of useless trash.", "The colt reared and threw the tall rider.",
    "It snowed, rained, and hailed the same morning.", "Read verse out loud for pleasure.",
    "Hoist the load to your left shoulder.", "Take the winding path to reach the lake.",
    "Note closely the size of the gas tank.", "Wipe the grease off his dirty face.",
    "Mend the coat before you go out.", "The wrist was badly strained and hung limp.",
    "The stray cat gave birth to kittens.", "The young girl gave no clear response.",
    "The meal was cooked before the bell rang.", "What joy there is in living.",
)
VOICES = ("en-us", "en-us+f2", "en-us+m3", "en+f3", "en-us+m7", "en+f4")
NONSPEECH_SNRS = (20.0, 5.0)
SENTENCES_PER_LONG_CLIP = 7


@dataclass(frozen=True)
class Clip:
    """One clip of a corpus: 16 kHz audio, its text, phone and word intervals when known, and its kind."""

    clip_id: str
    audio: np.ndarray
    text: str | None = None
    phones: tuple[Interval, ...] | None = None
    words: tuple[Interval, ...] | None = None
    kind: str = "speech"  # speech | nonspeech | mixed


def _count(source: str, default: int) -> int:
    _, _, count = source.partition(":")
    if count and not count.isdigit():
        raise BadInputError(f"corpus {source!r}: the count after ':' must be a whole number")
    return int(count) if count else default


def espeak_clips(n: int, seed: int = 0, sentences: int = 1) -> Iterator[Clip]:
    """`n` clips of `sentences` Harvard sentences each, voices in rotation, rates 150-185 wpm (seeded)."""
    from tts_interp.data.espeak_speech import synthesize

    rng = np.random.default_rng(seed)
    name = "espeak" if sentences == 1 else "espeaklong"
    for i in range(n):
        first = i * sentences
        text = " ".join(HARVARD[(first + j) % len(HARVARD)] for j in range(sentences))
        voice = VOICES[(i + first // len(HARVARD)) % len(VOICES)]
        spoken = synthesize(text, voice, int(rng.integers(150, 186)), clip_id=f"{name}{i:04d}_{voice}")
        yield Clip(spoken.clip_id, spoken.audio, text, tuple(spoken.phones), tuple(spoken.words))


def nonspeech_clips(n: int, seed: int = 0) -> Iterator[Clip]:
    """`n` clips cycling through pure non-speech (2 s) and the same sound mixed under espeak speech."""
    from tts_interp.data.nonspeech import KINDS, make_sound, mix_at_snr

    speech = espeak_clips(n, seed + 1)
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        sound = make_sound(kind, 2.0, SAMPLE_RATE, seed=seed + i)
        if (i // len(KINDS)) % 2 == 0 or kind == "silence":
            next(speech)
            yield Clip(f"nonspeech{i:04d}_{kind}", sound, None, None, None, "nonspeech")
        else:
            spoken = next(speech)
            snr = NONSPEECH_SNRS[(i // (2 * len(KINDS))) % len(NONSPEECH_SNRS)]
            yield Clip(f"mixed{i:04d}_{kind}_snr{snr:g}", mix_at_snr(spoken.audio, sound, snr), spoken.text,
                       spoken.phones, spoken.words, "mixed")


def dataset_clips(path: Path) -> Iterator[Clip]:
    """Clips of a manifest or folder (see data.datasets), with their alignments when the rows name one."""
    dataset = load_dataset(path)
    if not dataset.utterances:
        raise BadInputError(f"dataset {path} has no readable clips")
    for utt in dataset.utterances:
        phones = tuple(read_alignment(utt.alignment)) if utt.alignment else None
        yield Clip(utt.utt_id, load_audio(utt.path, SAMPLE_RATE).samples, utt.text, phones)


def iter_corpus(source: str, seed: int = 0, limit: int | None = None) -> Iterator[Clip]:
    """The clips of `source` (see the module docstring), at most `limit` of them."""
    if source.split(":")[0] == "espeak":
        clips = espeak_clips(_count(source, len(HARVARD)), seed)
    elif source.split(":")[0] == "espeak-long":
        clips = espeak_clips(_count(source, 6), seed, SENTENCES_PER_LONG_CLIP)
    elif source.split(":")[0] == "nonspeech":
        clips = nonspeech_clips(_count(source, 20), seed)
    elif Path(source).exists():
        clips = dataset_clips(Path(source))
    else:
        raise BadInputError(f"corpus {source!r} is neither espeak[:N], espeak-long[:N], nonspeech[:N] nor an "
                            "existing manifest or folder")
    return itertools.islice(clips, limit) if limit else clips
