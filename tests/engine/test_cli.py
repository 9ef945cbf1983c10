"""The CLI: every command writes result.json; a saved config replays to the same codes; bad input is one line."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf


def test_models_and_sites(cli, voicedesign):
    code, _, err = cli("models")
    assert code == 0 and "tiny-qwen3-tts-voicedesign" in err
    code, out, _ = cli("sites", "--model", "tiny-qwen3-tts-voicedesign", "--json")
    listed = {entry["name"] for entry in json.loads(out)["sites"]}
    assert code == 0 and listed == set(voicedesign.adapter.sites())


def test_generate_writes_a_replayable_run(cli, tmp_path, voicedesign):
    out = tmp_path / "gen"
    code, _, err = cli("generate", "-m", "tiny-qwen3-tts-voicedesign", "-t", "hello world",
                           "--instruct", "fast", "--seed", "4", "--max-new-tokens", "8", "--device", "cpu",
                           "--out", str(out))
    assert code == 0, err
    result = json.loads((out / "result.json").read_text())
    codes = np.load(out / "codes.npy")
    audio, rate = sf.read(str(out / "audio.wav"))
    assert rate == 24000 and len(audio) == 1920 * codes.shape[0] and codes.shape[1] == 16
    assert result["frames"] == codes.shape[0] and result["config"]["settings"]["seed"] == 4
    # replay from the saved config
    code, _, err = cli("replay", str(out / "result.json"), "--out", str(tmp_path / "replay"))
    assert code == 0, err
    assert np.array_equal(np.load(tmp_path / "replay" / "codes.npy"), codes)
    replayed = json.loads((tmp_path / "replay" / "result.json").read_text())
    assert replayed["identical_codes"] is True and replayed["config"] == result["config"]


def test_trace_streams_activations(cli, tmp_path):
    out = tmp_path / "trace"
    code, _, err = cli("trace", "-m", "tiny-qwen3-tts-voicedesign", "-t", "hello",
                           "--sites", "talker.layer.*.resid_out,code_predictor.layer.0.mlp_out",
                           "--frames", "2:5", "--max-new-tokens", "8", "--device", "cpu", "--out", str(out))
    assert code == 0, err
    result = json.loads((out / "result.json").read_text())
    assert result["sites"]["talker.layer.3.resid_out"] == {"rows": 3, "dim": 64, "frames": [2, 4]}
    assert result["sites"]["code_predictor.layer.0.mlp_out"]["rows"] == 45
    assert (out / "activations" / "index.json").is_file() and (out / "audio.wav").is_file()


@pytest.mark.parametrize("args, message", [
    (["generate", "-m", "tiny-qwen3-tts-voicedesign", "-t", " "], "text is empty"),
    (["generate", "-m", "nope", "-t", "hi"], "unknown model 'nope'"),
    (["trace", "-m", "tiny-qwen3-tts-voicedesign", "-t", "hi", "--sites", "talker.layer.99.resid_out"],
     "talker layer 99 is out of range; valid: 0..3"),
    (["trace", "-m", "tiny-qwen3-tts-voicedesign", "-t", "hi", "--sites", "talker.bogus"], "unknown site"),
    (["trace", "-m", "tiny-qwen3-tts-voicedesign", "-t", "hi", "--sites", "talker.final_norm", "--frames", "9:3"],
     "is empty or negative"),
    (["generate", "-m", "tiny-qwen3-tts-voicedesign", "-t", "hi", "--device", "cuda"], "sees no CUDA GPU"),
    (["generate", "-m", "whisper-tiny.en", "-t", "hi"], "is a whisper model"),
    (["trace", "-m", "tiny-qwen3-tts-voicedesign", "-t", "hi", "--sites", "talker.final_norm", "--positions", "0:3"],
     "qwen3-tts sites take no positions selection; they take frames, segments, codebooks"),
    (["generate", "-m", "tiny-grad-tts", "-t", "hi", "--instruct", "calm"], "they have no instruct"),
    (["generate", "-m", "tiny-grad-tts-multispeaker", "-t", "hi", "--speaker", "aria"], "speaker is an index"),
    (["replay", "no/such/result.json"], "does not exist"),
])
def test_bad_input_is_one_line_and_exit_2(cli, tmp_path, args, message):
    code, out, err = cli(*args, "--out", str(tmp_path / "x"))
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0], err
    assert "Traceback" not in err + out
