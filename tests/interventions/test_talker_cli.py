"""The lens, patch, direction and steer commands: result.json, tables and plots; bad input is one clear line."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from tts_interp.cli import app as app_module
from tts_interp.cli import direction_cmd, lens_cmd, patch_cmd, steer_cmd
from tts_interp.core.errors import BadInputError

runner = CliRunner()
VD = ["-m", "tiny-qwen3-tts-voicedesign", "--device", "cpu"]


@pytest.fixture
def cached_sessions(monkeypatch, voicedesign):
    """The commands reuse the test session instead of loading the model again."""
    from tts_interp.api.model import Model

    monkeypatch.setattr(lens_cmd, "Session", lambda model, device, dtype: voicedesign)
    for module in (direction_cmd, patch_cmd, steer_cmd):
        monkeypatch.setattr(module, "load", lambda model, device, dtype, needs=(): Model(voicedesign))


@pytest.fixture
def codes_file(tmp_path, codes):
    path = tmp_path / "codes.npy"
    np.save(path, codes.numpy())
    return path


def invoke(*args: str):
    result = runner.invoke(app_module.app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == 0, result.output
    return result


def test_lens_command_with_a_prompt_effect_profile(cached_sessions, codes_file, tmp_path):
    out = tmp_path / "lens"
    invoke("lens", *VD, "-t", "hello world", "--instruct", "a calm voice", "--vs-no-instruct", "--codes",
           str(codes_file), "--out", str(out))
    result = json.loads((out / "result.json").read_text())
    assert {"layer", "kl_to_final", "top1_agreement", "entropy"} <= set(result["layers"][0])
    assert result["prompt_effect"]["differs"] == ["instruct"]
    assert set(result["plots"]) == {"lens_kl_heatmap.png", "lens_layers.png", "lens_code_predictor.png",
                                    "prompt_effect.png"}
    assert all((out / name).stat().st_size > 1000 for name in result["plots"])


def test_patch_command_draws_a_heatmap_per_site_kind(cached_sessions, codes_file, tmp_path):
    out = tmp_path / "patch"
    invoke("patch", *VD, "-t", "hello world", "--instruct", "a deep slow male voice", "--source-instruct",
           "a bright fast female voice speak softly", "--layers", "0,3", "--sites", "resid,attn",
           "--segments", "text,codec_bos,frames", "--codes", str(codes_file), "--out", str(out))
    result = json.loads((out / "result.json").read_text())
    assert len(result["cells"]) == 12 and result["plots"] == ["patch_resid_out.png", "patch_attn_out.png"]


def test_direction_then_steer(cached_sessions, codes_file, tmp_path):
    made = tmp_path / "dir"
    invoke("direction", *VD, "-t", "hello world", "-t", "the quick brown fox", "--a-instruct", "a deep voice",
           "--b-instruct", "a bright voice", "--segments", "frames", "--codes", str(codes_file), "--out", str(made))
    result = json.loads((made / "result.json").read_text())
    assert result["counts"]["runs_a"] == 2 and result["plots"] == ["direction_talker_resid_out.png"]
    out = tmp_path / "steer"
    invoke("steer", *VD, "-t", "hello world", "--instruct", "a calm voice", "--direction",
           str(made / "direction.safetensors"), "--layers", "1,2", "--alphas=-1,0", "--greedy", "--max-new-tokens",
           "3", "--out", str(out))
    steered = json.loads((out / "result.json").read_text())
    assert [c["id"] for c in steered["cells"]] == ["alpha-1_L1", "alpha+0_L1", "alpha-1_L2", "alpha+0_L2"]
    assert steered["plots"] == ["steer_agreement.png"] and (out / "cells.csv").is_file()


@pytest.mark.parametrize("args, message", [
    (["steer", "-t", "hi", "--direction", "d.safetensors", "--layers", "1", "--alphas", "0,nan"], "not a finite"),
    (["patch", "-t", "hi", "--instruct", "a calm voice", "--source-instruct", "a deep voice", "--segments",
      "textt"], "unknown segment 'textt'"),
    (["lens", "-t", "hi", "--instruct", "a", "--vs-instruct", "a"], "equals the first"),
])
def test_bad_input_is_one_clear_line(cached_sessions, tmp_path, monkeypatch, capsys, args, message):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["tts-interp", *args, *VD, "--out", str(tmp_path / "out")])
    with pytest.raises(SystemExit) as exit_info:
        app_module.main()
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert "error:" in error and message in " ".join(error.split()) and "Traceback" not in error


def test_instruct_given_to_the_base_model_is_refused(monkeypatch, base, ref_clip, tmp_path):
    monkeypatch.setattr(lens_cmd, "Session", lambda model, device, dtype: base)
    result = runner.invoke(app_module.app, ["lens", "-m", "tiny-qwen3-tts-base", "--device", "cpu", "-t", "hi",
                                            "--ref-audio", ref_clip, "--instruct", "a calm voice", "--out",
                                            str(tmp_path / "out")])
    assert isinstance(result.exception, BadInputError) and "has no instruct input" in str(result.exception)
    assert not (tmp_path / "out").exists()
