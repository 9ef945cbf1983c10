"""The small aligned corpus the real-model feature checks share, and the site they scan."""

from __future__ import annotations

import itertools

SCAN_SITE = "encoder.layer.2.mlp.act"


def scan_corpus():  # noqa: ANN201 - an iterator of Clips
    """12 espeak-ng Harvard sentences (phoneme-aligned) and 6 non-speech / mixed clips."""
    from tts_interp.interventions.features.corpus import iter_corpus

    return itertools.chain(iter_corpus("espeak:12"), iter_corpus("nonspeech:6"))
