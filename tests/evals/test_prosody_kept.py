"""How much prosody an edited clip keeps: the same clip keeps all of it; the same words spoken faster keep the
contour's shape and report the speed-up; another sentence keeps far less of the contour."""

from __future__ import annotations

import pytest
from speech_data import clip

from tts_interp.core.audio import load_audio
from tts_interp.evals.prosody import ProsodyProfile, prosody_kept


def profile(name: str) -> ProsodyProfile:
    return ProsodyProfile.of(load_audio(clip(name), 16_000).samples)


def test_prosody_kept_knows_the_same_clip_a_faster_one_and_another_sentence():
    original = profile("kokoro_jf_alpha_s1.flac")
    same = prosody_kept(original, original)
    assert same["f0_correlation"] == pytest.approx(1.0) and same["rate_change"] == pytest.approx(0.0)
    fast = prosody_kept(profile("kokoro_jf_alpha_s1_fast.flac"), original)
    other = prosody_kept(profile("kokoro_jf_alpha_s2.flac"), original)
    assert fast["rate_change"] > 0.3  # the fast clip is spoken at a higher rate: positive change
    assert fast["f0_correlation"] > other["f0_correlation"] + 0.1
