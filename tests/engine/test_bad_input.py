"""Bad input fails with one clear message naming the bad value (and the valid choices), never deep in torch."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
import torch

from tts_interp.core.audio import load_audio
from tts_interp.core.errors import BadInputError, OutOfRangeError, UnknownNameError, WeightsNotFoundError
from tts_interp.interventions.session import Session
from tts_interp.models.qwen3_tts.clocks import parse_codebooks
from tts_interp.models.qwen3_tts.prompt import PromptRequest
from tts_interp.models.qwen3_tts.runs import generate, teacher_force
from tts_interp.models.qwen3_tts.settings import GenerationSettings
from tts_interp.tracing.engine import Read
from tts_interp.tracing.ops import Write
from tts_interp.tracing.selection import Selection, parse_frames


def test_prompt_errors(voicedesign, customvoice, base, ref_clip):
    with pytest.raises(BadInputError, match="text is empty"):
        voicedesign.adapter.prepare(PromptRequest(text="   "))
    with pytest.raises(UnknownNameError, match="unknown language 'klingon'; valid: auto, chinese, english"):
        voicedesign.adapter.prepare(PromptRequest(text="hi", language="klingon"))
    with pytest.raises(UnknownNameError, match="unknown speaker 'zed'; valid: aria, bram, cleo"):
        customvoice.adapter.prepare(PromptRequest(text="hi", speaker="zed"))
    with pytest.raises(BadInputError, match="needs --speaker; choices: aria, bram, cleo"):
        customvoice.adapter.prepare(PromptRequest(text="hi"))
    with pytest.raises(BadInputError, match="needs --ref-audio"):
        base.adapter.prepare(PromptRequest(text="hi"))
    prompt = base.adapter.prepare(PromptRequest(text="hi", instruct="whisper", ref_audio=ref_clip))
    assert any("instruct ignored" in note for note in prompt.notes)
    assert prompt.request.instruct is None


@pytest.mark.parametrize("case", ["missing", "unreadable", "silent", "nan", "short"])
def test_reference_audio_problems(base, tmp_path, case):
    path = tmp_path / f"{case}.wav"
    sr = 16000
    if case == "unreadable":
        path.write_bytes(b"this is not audio")
    elif case == "silent":
        sf.write(str(path), np.zeros(sr * 2, np.float32), sr)
    elif case == "nan":
        wave = np.sin(np.arange(sr * 2) * 0.05).astype(np.float32)
        wave[100] = np.nan
        np.save(tmp_path / "nan.npy", wave)
        with pytest.raises(BadInputError, match="NaN"):
            load_audio(wave, 24000, source_sr=sr)
        return
    elif case == "short":
        sf.write(str(path), 0.1 * np.sin(np.arange(800) * 0.05).astype(np.float32), sr)
    messages = {"missing": "does not exist", "unreadable": "cannot be read", "silent": "is silent",
                "short": "at least 0.5 s needed"}
    with pytest.raises(BadInputError, match=messages[case]):
        base.adapter.prepare(PromptRequest(text="hi", ref_audio=str(path)))


def test_audio_rank_and_resampling():
    with pytest.raises(BadInputError, match="rank 3"):
        load_audio(np.zeros((2, 2, 100), np.float32), 24000, source_sr=16000)
    for rate in (8000, 16000, 22050, 44100, 48000):
        wave = 0.3 * np.sin(2 * np.pi * 220 * np.arange(rate) / rate).astype(np.float32)
        audio = load_audio(np.stack([wave, wave], axis=1), 24000, source_sr=rate)
        assert audio.sample_rate == 24000 and abs(len(audio.samples) - 24000) <= 1


def test_selection_and_write_errors(voicedesign):
    adapter, engine = voicedesign.adapter, voicedesign.engine
    prompt = adapter.prepare(PromptRequest(text="hi there"))
    settings = GenerationSettings(max_new_tokens=4, greedy=True)
    with pytest.raises(BadInputError, match="frames '20:10' is empty"):
        parse_frames("20:10")
    with pytest.raises(BadInputError, match="frames 'x' is not a range"):
        parse_frames("x")
    with pytest.raises(OutOfRangeError, match="codebook 16 is out of range; valid: 1..15"):
        parse_codebooks("1,16")
    with pytest.raises(UnknownNameError, match="unknown segment 'instruct'"):  # this prompt has no instruct
        generate(engine, adapter, prompt, settings, reads=[Read("talker.layer.0.resid_out", Selection(segments=("instruct",)))])
    with pytest.raises(BadInputError, match="has size 10; the site has 64"):
        generate(engine, adapter, prompt, settings, writes=[Write("talker.layer.0.resid_out", "add", torch.ones(10))])
    with pytest.raises(BadInputError, match="alpha must be a finite number"):
        Write("talker.layer.0.resid_out", "add", torch.ones(64), alpha=float("nan"))
    with pytest.raises(BadInputError, match="NaN or infinite"):
        Write("talker.layer.0.resid_out", "add", torch.full((64,), float("inf")))
    with pytest.raises(UnknownNameError, match="unknown operation 'scale'"):
        Write("talker.layer.0.resid_out", "scale", torch.ones(64))
    with pytest.raises(BadInputError, match=r"max_new_tokens \(the most frames to generate\) must be at least 1"):
        generate(engine, adapter, prompt, GenerationSettings(max_new_tokens=0))
    with pytest.raises(BadInputError, match=r"codes must lie in 0\.\.2047"):
        teacher_force(engine, adapter, prompt, torch.full((3, 16), 4000))
    with pytest.raises(BadInputError, match=r"codes must have shape \(frames, 16\)"):
        teacher_force(engine, adapter, prompt, torch.zeros(3, 8))


def test_unknown_and_missing_models(private_cache):
    with pytest.raises(UnknownNameError, match="unknown model 'nonsense'; valid: tiny-qwen3-tts-base"):
        Session("nonsense", "cpu")
    with pytest.raises(UnknownNameError, match="unknown built-in model 'tiny-qwen3-tts-nope'"):
        Session("tiny-qwen3-tts-nope", "cpu")
    with pytest.raises(WeightsNotFoundError) as info:  # HF_HUB_OFFLINE=1 in the tests
        Session("Qwen/Qwen3-TTS-12Hz-1.7B-VoiceDesign", "cpu")
    message = str(info.value)
    assert "Qwen/Qwen3-TTS-12Hz-1.7B-VoiceDesign" in message and "Hugging Face cache at" in message
    assert "huggingface-cli download" in message and "HF_HUB_OFFLINE" in message
    with pytest.raises(UnknownNameError, match="unknown dtype 'float16'"):
        Session("tiny-qwen3-tts-voicedesign", "cpu", "float16")
