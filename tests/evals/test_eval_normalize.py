"""Text normalisers on tricky cases: numbers, contractions, punctuation, spelling."""

from __future__ import annotations

import pytest

from tts_interp.core.errors import UnknownNameError
from tts_interp.evals.metrics import edit_counts
from tts_interp.evals.normalize import get_normalizer


def test_whisper_normaliser_numbers_contractions_punctuation() -> None:
    norm = get_normalizer("whisper")
    assert norm("I'll pay twenty dollars, won't I?") == norm("I will pay $20, will not I")
    assert norm("It's twenty-one.") == "it is 21"
    assert norm("Mr. Smith's colour!") == norm("mister smith's color")
    assert norm("One thousand two hundred people") == "1200 people"
    assert norm("Hello,   WORLD! (laughs) [music]") == "hello world"  # annotations dropped


def test_seed_tts_normaliser_keeps_apostrophes_and_words() -> None:
    norm = get_normalizer("seed-tts")
    assert norm("Hello, World! It's 5 o'clock.") == "hello world it's 5 o'clock"
    assert norm("twenty-one") == "twenty one"
    assert norm("twenty dollars") != norm("$20")  # no number normalisation: that is the Whisper one's job


def test_normaliser_choice_changes_wer_on_spoken_numbers() -> None:
    ref, hyp = "I'll pay twenty dollars at ten.", "I'll pay $20 at 10."
    whisper, seed = get_normalizer("whisper"), get_normalizer("seed-tts")
    assert edit_counts(whisper(ref), whisper(hyp)).wer == 0.0
    assert edit_counts(seed(ref), seed(hyp)).wer > 0.3


def test_unknown_normaliser_lists_choices() -> None:
    with pytest.raises(UnknownNameError, match="whisper, seed-tts"):
        get_normalizer("nemo")
