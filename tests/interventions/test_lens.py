"""Logit lens and prompt-effect profile: the last layer is the model's own logits; one pass; written outputs."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from tts_interp.core.errors import BadInputError
from tts_interp.core.stats import bootstrap_ci as bootstrap_mean_ci
from tts_interp.interventions.distributions import kl, log_probs, rank_of
from tts_interp.interventions.talker import lens as lens_module
from tts_interp.interventions.talker.lens import (
    code_predictor_lens_logits,
    compute_lens,
    residual_pass,
    talker_lens_logits,
    talker_support,
)
from tts_interp.interventions.talker.lens_experiment import run_lens
from tts_interp.interventions.talker.prompt_effect import compare_residuals
from tts_interp.interventions.talker.prompts import derive_request, prepare_checked
from tts_interp.models.qwen3_tts.prompt import PromptRequest


def test_last_layer_lens_equals_the_model_logits(voicedesign, codes, request_a):
    adapter = voicedesign.adapter
    prompt = prepare_checked(adapter, request_a)
    residuals = residual_pass(voicedesign, prompt, codes)
    support = talker_support(adapter)
    own = residuals.logits.code0_logits[:, support]
    last = talker_lens_logits(adapter, residuals.talker[-1])
    assert last.dtype == torch.float32 and last.shape == (codes.shape[0], 2049)
    torch.testing.assert_close(last, own, rtol=0, atol=1e-5)
    # an earlier layer is a different distribution (the lens is not trivially the final logits)
    assert (talker_lens_logits(adapter, residuals.talker[0]) - own).abs().max() > 1e-3
    cp_last = code_predictor_lens_logits(adapter, residuals.code_predictor[-1])
    torch.testing.assert_close(cp_last, residuals.logits.code_predictor_logits, rtol=0, atol=1e-5)


def test_every_layer_row_equals_the_lens_computed_through_norm_and_head(voicedesign, codes, request_a):
    """compute_lens takes the last layer's row from the model's logits and batches the 15 heads: every row,
    the last one included, must equal the statistics of the lens computed layer by layer, head by head."""
    adapter = voicedesign.adapter
    residuals = residual_pass(voicedesign, prepare_checked(adapter, request_a), codes)
    lens = compute_lens(adapter, residuals, codes)
    support = talker_support(adapter)
    final = log_probs(residuals.logits.code0_logits[:, support])
    final_cp = log_probs(residuals.logits.code_predictor_logits)
    predictor = adapter.talker.code_predictor
    for layer in range(adapter.n_layers):
        logits = talker_lens_logits(adapter, residuals.talker[layer])
        logp = log_probs(logits)
        np.testing.assert_allclose(lens.talker.kl_to_final[layer], kl(final, logp).numpy(), atol=2e-5)
        np.testing.assert_allclose(lens.talker.entropy[layer], -(logp.exp() * logp).sum(-1).numpy(), atol=2e-5)
        assert np.array_equal(lens.talker.chosen_rank[layer], rank_of(logits, codes[:, 0]).numpy())
    for layer in range(adapter.n_code_predictor_layers):
        with torch.no_grad():
            hidden = predictor.model.norm(residuals.code_predictor[layer])
            logits = torch.stack([predictor.lm_head[g](hidden[:, g]) for g in range(15)], dim=1)
        logp = log_probs(logits)
        np.testing.assert_allclose(lens.code_predictor.kl_to_final[layer], kl(final_cp, logp).numpy(), atol=2e-5)
        assert np.array_equal(lens.code_predictor.chosen_rank[layer], rank_of(logits, codes[:, 1:]).numpy())
        agree = (logits.argmax(-1) == final_cp.argmax(-1)).numpy()
        assert np.array_equal(lens.code_predictor.top1_agreement[layer], agree.astype(np.float64))


def test_lens_statistics_per_layer_and_frame(voicedesign, codes, request_a):
    adapter = voicedesign.adapter
    prompt = prepare_checked(adapter, request_a)
    lens = compute_lens(adapter, residual_pass(voicedesign, prompt, codes), codes)
    talker, cp = lens.talker, lens.code_predictor
    assert talker.kl_to_final.shape == (adapter.n_layers, codes.shape[0])
    assert cp.kl_to_final.shape == (adapter.n_code_predictor_layers, codes.shape[0], 15)
    assert np.all(talker.kl_to_final >= 0) and talker.kl_to_final[-1].max() < 1e-5
    assert np.all(talker.top1_agreement[-1] == 1.0) and np.all(cp.top1_agreement[-1] == 1.0)
    assert np.all(talker.entropy <= math.log(2049) + 1e-4)
    assert np.all((talker.chosen_rank >= 0) & (talker.chosen_rank < 2049))
    rows = lens.to_json()["layers"]
    assert [r["layer"] for r in rows] == list(range(adapter.n_layers))
    assert {"layer", "kl_to_final", "top1_agreement", "entropy"} <= set(rows[0])


def test_rank_kl_and_bootstrap_helpers():
    logits = torch.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 1.0]])
    assert rank_of(logits, torch.tensor([2, 1])).tolist() == [1, 0]
    logp = log_probs(logits)
    assert float(kl(logp, logp).abs().max()) == 0.0
    assert float(kl(logp, log_probs(torch.zeros(2, 3))).min()) > 0
    mean, low, high = bootstrap_mean_ci(np.array([[1.0, 2.0, 3.0, 4.0], [5.0, 5.0, 5.0, 5.0]]))
    assert mean.tolist() == [2.5, 5.0] and low[0] < 2.5 < high[0] and low[1] == high[1] == 5.0


def test_lens_is_one_teacher_forced_pass(voicedesign, codes, tmp_path, monkeypatch, request_a):
    calls = []
    real = lens_module.teacher_force
    monkeypatch.setattr(lens_module, "teacher_force", lambda *a, **k: calls.append(1) or real(*a, **k))
    run = run_lens(voicedesign, request_a, tmp_path, codes=codes)
    assert len(calls) == 1
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["command"] == "lens" and result["frames"] == codes.shape[0]
    assert "teacher-forced" in result["deterministic"]
    assert len(result["layers"]) == voicedesign.adapter.n_layers
    assert (tmp_path / "lens_layers.csv").read_text().startswith("layer,kl_to_final")
    assert np.array_equal(np.load(tmp_path / "codes.npy"), codes.numpy())
    assert np.load(tmp_path / "lens_frames.npz")["talker_kl_to_final"].shape == run.lens.talker.kl_to_final.shape


def test_prompt_effect_profile_of_instructs_of_different_lengths(voicedesign, codes, tmp_path, short_vs_long):
    first, second = short_vs_long
    run = run_lens(voicedesign, first, tmp_path, codes=codes, vs_request=second, code_predictor=False)
    rows = json.loads((tmp_path / "result.json").read_text())["prompt_effect"]["layers"]
    assert run.effect.differs == ["instruct"] and len(rows) == voicedesign.adapter.n_layers
    for row in rows:
        for name in ("lens_js", "cosine", "relative_l2"):
            assert row[f"{name}_ci_low"] - 1e-12 <= row[name] <= row[f"{name}_ci_high"] + 1e-12
    assert rows[-1]["relative_l2"] > 0 and rows[-1]["cosine"] < 1


def test_prompt_effect_of_a_prompt_with_itself_is_nothing(voicedesign, codes, request_a):
    adapter = voicedesign.adapter
    residuals = residual_pass(voicedesign, prepare_checked(adapter, request_a), codes, code_predictor=False)
    effect = compare_residuals(adapter, residuals, residuals, [])
    assert np.abs(effect.per_frame["lens_js"]).max() < 1e-6
    assert np.allclose(effect.per_frame["cosine"], 1.0, atol=1e-5)
    assert np.abs(effect.per_frame["relative_l2"]).max() == 0.0


def test_bad_prompt_pairs_are_refused(voicedesign, codes, tmp_path, request_a):
    request = request_a
    with pytest.raises(BadInputError, match="same text"):
        run_lens(voicedesign, request, tmp_path, codes=codes, vs_request=PromptRequest("other words"))
    with pytest.raises(BadInputError, match="equals the first"):
        derive_request(request, instruct=request.instruct)
    assert not (tmp_path / "result.json").exists()
