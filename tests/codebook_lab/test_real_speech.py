"""Real recorded speech (CMU ARCTIC, committed fixture) through each tiny codec at common sample rates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tts_interp.codecs import load_codec
from tts_interp.core.audio import load_audio

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "speech" / "arctic_awb_a0007.flac"


@pytest.mark.parametrize("codec_id", ["tiny-qwen12hz", "tiny-mimi", "tiny-encodec"])
def test_recorded_speech_encodes_and_decodes_at_every_rate(codec_id: str, tmp_path: Path) -> None:
    codec = load_codec(codec_id)
    speech = load_audio(FIXTURE, 16000).samples[8000 : 8000 + 12800]  # 0.8 s of speech
    for rate in (16000, 22050, 24000, 48000):
        path = tmp_path / f"speech_{rate}.wav"
        sf.write(path, load_audio(speech, rate, source_sr=16000).samples, rate)
        codes = codec.encode_audio(path)
        expected_frames = int(np.ceil(round(0.8 * codec.sample_rate) / codec.hop_length))
        assert abs(len(codes) - expected_frames) <= 1, rate
        audio = codec.decode(codes)
        assert audio.sample_rate == codec.sample_rate
        assert (
            np.all(np.isfinite(audio.samples)) and len(audio.samples) >= (len(codes) - 1) * codec.hop_length
        )
