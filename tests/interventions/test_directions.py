"""Directions: mean difference, probe, PCA; identical sets refused; files reusable and checked on load."""

from __future__ import annotations

import json

import pytest
import torch

from tts_interp.core.errors import BadInputError, UnknownNameError
from tts_interp.interventions.directions import experiment as direction_experiment
from tts_interp.interventions.directions.direction import compute_direction, load_direction, save_direction
from tts_interp.interventions.directions.experiment import DIRECTION_FILE, run_direction
from tts_interp.models.qwen3_tts.prompt import PromptRequest
from tts_interp.tracing.selection import Selection

SITE = "talker.layer.1.resid_out"


def two_clouds(shift: float = 3.0, n: int = 40, dim: int = 8) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Two Gaussian clouds (4 runs each) separated along axis 0."""
    generator = torch.Generator().manual_seed(0)
    a = torch.randn(n, dim, generator=generator) + torch.eye(dim)[0] * shift
    b = torch.randn(n, dim, generator=generator)
    return list(a.chunk(4)), list(b.chunk(4))


def test_mean_difference_probe_and_pca_find_the_separating_axis():
    a, b = two_clouds()
    axis = torch.eye(8)[0]
    mean_diff = compute_direction({SITE: a}, {SITE: b}, "mean_diff", "m")
    assert torch.allclose(mean_diff.vectors[SITE], torch.cat(a).mean(0) - torch.cat(b).mean(0))
    probe = compute_direction({SITE: a}, {SITE: b}, "probe", "m")
    assert float(probe.unit(SITE) @ axis) > 0.9
    assert probe.info["per_site"][SITE]["train_accuracy"] > 0.9 and probe.info["per_site"][SITE]["cv_accuracy"]
    pca = compute_direction({SITE: a}, {SITE: b}, "pca", "m", n_components=3)
    components, explained = pca.components[SITE], pca.explained[SITE]
    assert torch.allclose(components @ components.T, torch.eye(3), atol=1e-5)
    assert explained.tolist() == sorted(explained.tolist(), reverse=True) and float(explained.sum()) <= 1.0
    assert float(pca.unit(SITE, 0) @ axis) > 0.9  # the first component is the split, oriented B -> A


def test_a_direction_from_two_identical_sets_is_refused():
    a, _ = two_clouds()
    for method in ("mean_diff", "probe"):
        with pytest.raises(BadInputError, match="same mean activation"):
            compute_direction({SITE: a}, {SITE: [x.clone() for x in a]}, method, "m")


def test_identical_prompt_sets_are_refused_before_any_run(voicedesign, tmp_path, monkeypatch):
    monkeypatch.setattr(direction_experiment, "collect_rows", lambda *a, **k: pytest.fail("a run started"))
    same = [PromptRequest("hello world", instruct="a calm voice")]
    with pytest.raises(BadInputError, match="same prompts"):
        run_direction(voicedesign, same, list(same), [SITE], Selection(), "mean_diff", tmp_path)
    with pytest.raises(UnknownNameError, match="unknown segment 'instruct'"):
        run_direction(voicedesign, same, [PromptRequest("hello world")], [SITE], Selection(segments=("instruct",)),
                      "mean_diff", tmp_path)  # B has no instruct: refused up front, not after A's runs


def test_direction_files_round_trip_and_refuse_other_models_and_sites(tmp_path):
    a, b = two_clouds()
    made = compute_direction({SITE: a}, {SITE: b}, "pca", "tiny-qwen3-tts-voicedesign", info={"counts": {"a": 4}})
    path = save_direction(made, tmp_path / "d.safetensors")
    loaded = load_direction(path, "tiny-qwen3-tts-voicedesign", [SITE])
    assert loaded.method == "pca" and loaded.info["counts"] == {"a": 4}
    assert torch.equal(loaded.unit(SITE, 1), made.unit(SITE, 1))
    with pytest.raises(BadInputError, match="made for model 'tiny-qwen3-tts-voicedesign', not 'other'"):
        load_direction(path, "other", [SITE])
    with pytest.raises(BadInputError, match="no vector for site.*talker.layer.2.resid_out.*made at: " + SITE):
        load_direction(path, "tiny-qwen3-tts-voicedesign", ["talker.layer.2.resid_out"])
    with pytest.raises(BadInputError, match="component 7 does not exist"):
        loaded.unit(SITE, 7)
    (tmp_path / "junk.safetensors").write_bytes(b"not a file")
    with pytest.raises(BadInputError, match="not a safetensors direction file"):
        load_direction(tmp_path / "junk.safetensors")


def test_run_direction_on_the_tiny_model(voicedesign, codes, tmp_path):
    set_a = [PromptRequest(t, instruct="a deep slow male voice") for t in ("hello world", "the quick brown fox")]
    set_b = [PromptRequest(t, instruct="a bright fast female voice") for t in ("hello world", "the quick brown fox")]
    direction, payload = run_direction(voicedesign, set_a, set_b, ["talker.layer.*.resid_out"],
                                       Selection(segments=("text", "frames")), "mean_diff", tmp_path, codes=codes)
    n_layers = voicedesign.adapter.n_layers
    assert direction.sites == [f"talker.layer.{i}.resid_out" for i in range(n_layers)]
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["counts"]["runs_a"] == 2 and result["counts"]["rows_a"] == result["counts"]["rows_b"] > 0
    assert result["hidden_size"][SITE] == voicedesign.adapter.sites()[SITE].dim
    assert len(result["per_site"]) == n_layers and all(r["norm"] > 0 for r in result["per_site"])
    loaded = load_direction(tmp_path / DIRECTION_FILE, voicedesign.adapter.model_id, [SITE])
    assert torch.allclose(loaded.vectors[SITE], direction.vectors[SITE])
