"""Kokoro's predicted durations as a phoneme-level alignment of the audio it made.

Every token has a duration in 25-ms frames, so the durations are an exact alignment of the synthesized audio:
the boundary tokens and punctuation become silence (`sil`, `pau`), the spaces between words short pauses
(`sp`). `data.alignments.phoneme_labels_at_hop` samples the written `alignment.lab` at any hop.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from tts_interp.data.alignments import Interval, intervals_from_durations
from tts_interp.models.kokoro.phonemes import PUNCTUATION


def token_labels(phonemes: str) -> list[str]:
    """One label per token position: `sil`, each phoneme (spaces `sp`, punctuation `pau`), `sil`."""
    inner = ["sp" if p == " " else "pau" if p in PUNCTUATION else p for p in phonemes]
    return ["sil", *inner, "sil"]


def alignment(prompts: Sequence, durations: Sequence[torch.Tensor], frame_seconds: float) -> list[Interval]:
    """The intervals of every chunk of a run, back to back in time."""
    intervals: list[Interval] = []
    start = 0.0
    for prompt, track in zip(prompts, durations, strict=True):
        chunk = intervals_from_durations(token_labels(prompt.chunk.phonemes), [int(d) for d in track],
                                         frame_seconds, start)
        intervals += chunk
        start = chunk[-1].end
    return intervals
