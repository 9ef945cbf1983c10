"""Steering: alpha 0 is the plain run bit for bit, projection removal erases the component, sweeps write cells."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from tts_interp.core.errors import BadInputError, UnknownNameError
from tts_interp.interventions.directions.direction import Direction, save_direction
from tts_interp.interventions.generation import RunConfig
from tts_interp.interventions.steering import sweep as sweep_module
from tts_interp.interventions.steering.sweep import plan_steer_sweep, run_steer_sweep
from tts_interp.interventions.steering.writes import Calibration, SteerCell, parse_alphas, steering_writes
from tts_interp.interventions.talker.prompts import prepare_checked
from tts_interp.models.qwen3_tts.runs import generate, teacher_force
from tts_interp.models.qwen3_tts.settings import GenerationSettings
from tts_interp.tracing.engine import Read
from tts_interp.tracing.selection import Selection

SITE = "talker.layer.1.resid_out"


def random_direction(session, layers=(1,)) -> Direction:
    dim = session.adapter.sites()[SITE].dim
    generator = torch.Generator().manual_seed(1)
    vectors = {f"talker.layer.{i}.resid_out": torch.randn(dim, generator=generator) for i in layers}
    return Direction(session.adapter.model_id, "mean_diff", vectors)


def test_alpha_zero_gives_the_plain_codes_bit_for_bit(voicedesign, request_a):
    adapter = voicedesign.adapter
    prompt = prepare_checked(adapter, request_a)
    settings = GenerationSettings(max_new_tokens=4, seed=7)  # sampled: the seed must line up too
    plain = generate(voicedesign.engine, adapter, prompt, settings)
    calibration = Calibration(plain, {SITE: 3.0}, {SITE: 1})
    writes = steering_writes(random_direction(voicedesign), SteerCell(0.0, (1,)), "add", Selection(), calibration)
    steered = generate(voicedesign.engine, adapter, prompt, settings, writes=writes)
    assert torch.equal(steered.codes, plain.codes)
    pushed = steering_writes(random_direction(voicedesign), SteerCell(50.0, (1,)), "add", Selection(), calibration)
    assert not torch.equal(generate(voicedesign.engine, adapter, prompt, settings, writes=pushed).codes, plain.codes)


def test_add_moves_selected_rows_by_alpha_times_the_mean_norm(voicedesign, codes, request_a):
    adapter = voicedesign.adapter
    prompt = prepare_checked(adapter, request_a)
    direction = random_direction(voicedesign)
    selection = Selection(segments=("text",), frames=(2, None))
    read = [Read(SITE)]
    plain = teacher_force(voicedesign.engine, adapter, prompt, codes, reads=read).store.get(SITE)
    calibration = Calibration(None, {SITE: 2.5}, {SITE: 1})  # type: ignore[arg-type]
    writes = steering_writes(direction, SteerCell(1.5, (1,)), "add", selection, calibration)
    steered = teacher_force(voicedesign.engine, adapter, prompt, codes, reads=read, writes=writes).store.get(SITE)
    shift = steered.values - plain.values
    text = range(prompt.segments.segments[-2].start, prompt.segments.segments[-2].stop)
    for row, delta in zip(plain.rows, shift, strict=True):
        chosen = row.position in text or (row.frame is not None and row.frame >= 2)
        expected = 1.5 * 2.5 * direction.unit(SITE) if chosen else torch.zeros_like(delta)
        torch.testing.assert_close(delta, expected, rtol=0, atol=1e-5)


def test_projection_removal_leaves_the_residual_orthogonal_to_the_direction(voicedesign, codes, request_a):
    adapter = voicedesign.adapter
    prompt = prepare_checked(adapter, request_a)
    direction = random_direction(voicedesign)
    unit = direction.unit(SITE)
    selection = Selection(segments=("instruct", "frames"))
    writes = steering_writes(direction, SteerCell(1.0, (1,)), "project_out", selection, None)
    read = [Read(SITE, selection)]
    plain = teacher_force(voicedesign.engine, adapter, prompt, codes, reads=read).store.get(SITE).values
    erased = teacher_force(voicedesign.engine, adapter, prompt, codes, reads=read, writes=writes).store.get(SITE).values
    assert erased.shape[0] == len(prompt.segments.segments[0]) + codes.shape[0] - 1
    assert (plain @ unit).abs().max() > 1e-2  # there was a component to remove
    assert float((erased @ unit).abs().max()) < 1e-5 * float(erased.norm(dim=-1).max())
    torch.testing.assert_close(erased, plain - (plain @ unit)[:, None] * unit, rtol=0, atol=1e-5)


def test_non_finite_alphas_are_refused():
    assert parse_alphas(["-1", "0", 2.5]) == [-1.0, 0.0, 2.5]
    for bad in ("nan", "inf", "-inf", float("nan"), "x"):
        with pytest.raises(BadInputError, match="alpha"):
            parse_alphas([0, bad])


def test_sweep_writes_generate_style_cells_and_a_manifest(voicedesign, tmp_path, request_a, monkeypatch):
    path = save_direction(random_direction(voicedesign, layers=(1, 2)), tmp_path / "d.safetensors")
    config = RunConfig(voicedesign.adapter.model_id, request_a, GenerationSettings(max_new_tokens=4, greedy=True),
                       "cpu")
    plan = plan_steer_sweep(voicedesign, config, path, layers=[2], alphas=["0", "8"], selection=Selection(
        segments=("frames",)))
    out = tmp_path / "sweep"
    sweep = run_steer_sweep(voicedesign, plan, out)
    plain_codes = np.load(out / "plain" / "codes.npy")
    cell = out / "cells" / "alpha+0_L2"
    assert {p.name for p in cell.iterdir()} >= {"audio.wav", "codes.npy", "result.json"}
    assert np.array_equal(np.load(cell / "codes.npy"), plain_codes)  # alpha 0 = a plain generate
    cell_result = json.loads((cell / "result.json").read_text())
    assert cell_result["steering"]["alpha"] == 0.0 and cell_result["writes"][0]["site"] == "talker.layer.2.resid_out"
    result = json.loads((out / "result.json").read_text())
    assert result["status"] == "complete" and result["calibration"]["sites"]["talker.layer.2.resid_out"]["mean_norm"] > 0
    assert [r["id"] for r in sweep.rows] == ["alpha+0_L2", "alpha+8_L2"]
    assert sweep.rows[0]["code0_agreement_with_plain"] == 1.0
    manifest = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert manifest[1] == {"id": "alpha+8_L2", "audio": "cells/alpha+8_L2/audio.wav", "text": request_a.text,
                           "reference": ["plain/audio.wav"]}
    # a rerun into the same directory reuses finished cells
    monkeypatch.setattr(sweep_module, "generate_to_dir", lambda *a, **k: pytest.fail("a finished cell re-ran"))
    again = run_steer_sweep(voicedesign, plan, out)
    assert [r["id"] for r in again.rows] == [r["id"] for r in sweep.rows]


def test_bad_sweeps_fail_before_any_generation(voicedesign, tmp_path, request_a, monkeypatch):
    monkeypatch.setattr(sweep_module, "calibrate", lambda *a, **k: pytest.fail("a generation ran"))
    path = save_direction(random_direction(voicedesign), tmp_path / "d.safetensors")
    config = RunConfig(voicedesign.adapter.model_id, request_a, GenerationSettings(max_new_tokens=4), "cpu")
    with pytest.raises(BadInputError, match="not a finite number"):
        plan_steer_sweep(voicedesign, config, path, layers=[1], alphas=["1", str(math.inf)])
    with pytest.raises(BadInputError, match="no vector for site"):
        plan_steer_sweep(voicedesign, config, path, layers=[3], alphas=["1"])
    with pytest.raises(BadInputError, match="not 'tiny-qwen3-tts-voicedesign'"):
        other = save_direction(Direction("tiny-qwen3-tts-customvoice", "mean_diff", {SITE: torch.ones(64)}),
                               tmp_path / "other.safetensors")
        plan_steer_sweep(voicedesign, config, other, layers=[1], alphas=["1"])
    with pytest.raises(UnknownNameError, match="unknown segment 'speaker'"):
        plan_steer_sweep(voicedesign, config, path, layers=[1], alphas=["1"], selection=Selection(segments=("speaker",)))
