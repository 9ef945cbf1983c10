"""Item 1: a resumed sweep reuses a cell only when its full configuration matches (model, prompt, seed,
settings, direction *content*); a mismatch recomputes and says so, or refuses; old audio is never paired with a
new text."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from tts_interp.core.fingerprint import StaleResultError, differences, fingerprint, finished_cell, stamp
from tts_interp.interventions.directions.direction import Direction, save_direction
from tts_interp.interventions.generation import RunConfig
from tts_interp.interventions.steering.sweep import plan_steer_sweep, run_steer_sweep
from tts_interp.models.qwen3_tts.prompt import PromptRequest
from tts_interp.models.qwen3_tts.settings import GenerationSettings
from tts_interp.tracing.selection import Selection


def test_fingerprint_is_canonical_and_names_what_differs(tmp_path):
    a = {"model": "m", "prompt": {"text": "hi", "seed": 1}, "layers": (1, 2)}
    assert fingerprint(a) == fingerprint({"layers": [1, 2], "prompt": {"seed": 1, "text": "hi"}, "model": "m"})
    b = {**a, "prompt": {"text": "bye", "seed": 1}}
    assert fingerprint(a) != fingerprint(b) and differences(a, b) == ["prompt.text"]
    cell = tmp_path / "cell"
    cell.mkdir()
    (cell / "result.json").write_text(json.dumps({"x": 1, **stamp(a)}))
    assert finished_cell(cell, a)["x"] == 1
    with pytest.raises(StaleResultError, match="prompt.text"):
        finished_cell(cell, b, policy="refuse")
    said: list[str] = []
    assert finished_cell(cell, b, on_stale=said.append) is None
    assert "prompt.text" in said[0] and not (cell / "result.json").exists()  # a killed recompute is not finished


def _direction(session, seed: int) -> Direction:
    dim = session.adapter.sites()["talker.layer.1.resid_out"].dim
    vectors = {"talker.layer.1.resid_out": torch.randn(dim, generator=torch.Generator().manual_seed(seed))}
    return Direction(session.adapter.model_id, "mean_diff", vectors)


def _sweep(session, path, out, text: str, seed: int = 0, on_stale=None):
    config = RunConfig(session.adapter.model_id, PromptRequest(text, instruct="a deep slow male voice"),
                       GenerationSettings(max_new_tokens=4, seed=seed), "cpu")
    plan = plan_steer_sweep(session, config, path, layers=[1], alphas=["4"], selection=Selection(segments=("frames",)))
    return run_steer_sweep(session, plan, out, on_stale=on_stale)


def test_steer_rerun_with_another_text_or_direction_recomputes_the_cell(voicedesign, tmp_path):
    path = save_direction(_direction(voicedesign, 1), tmp_path / "d.safetensors")
    out = tmp_path / "sweep"
    _sweep(voicedesign, path, out, "hello world")
    cell = out / "cells" / "alpha+4_L1"
    said: list[str] = []
    _sweep(voicedesign, path, out, "a rather different sentence to speak", on_stale=said.append)
    fresh = tmp_path / "fresh"
    _sweep(voicedesign, path, fresh, "a rather different sentence to speak")
    assert np.array_equal(np.load(cell / "codes.npy"), np.load(fresh / "cells" / "alpha+4_L1" / "codes.npy"))
    assert json.loads((cell / "result.json").read_text())["config"]["prompt"]["text"].startswith("a rather")
    assert said and "prompt" in said[0]
    # the same path with other direction bytes is another config too
    save_direction(_direction(voicedesign, 2), path)
    said.clear()
    _sweep(voicedesign, path, out, "a rather different sentence to speak", on_stale=said.append)
    assert said and "direction" in said[0]



def test_patch_audio_cells_are_reused_only_under_the_same_config(voicedesign, tmp_path, monkeypatch):
    from tts_interp.interventions.patching import sweep as patch_sweep

    real, made = patch_sweep.generate_to_dir, []
    monkeypatch.setattr(patch_sweep, "generate_to_dir", lambda s, c, d, **k: made.append(d.name) or real(s, c, d, **k))

    def run(text: str) -> None:
        plan = patch_sweep.plan_patch_sweep(voicedesign, PromptRequest(text, instruct="a calm voice"),
                                            PromptRequest(text, instruct="a fast bright voice"), layers=[1],
                                            segments=["frames"])
        patch_sweep.run_patch_sweep(voicedesign, plan, tmp_path, max_new_tokens=3, audio=True)

    run("hello world")
    assert made == ["source", "target", "resid_out.L1.frames"]
    made.clear()
    run("hello world")
    assert made == ["source", "target"]  # the cell was finished under this config
    made.clear()
    run("another sentence")
    assert made == ["source", "target", "resid_out.L1.frames"]
