"""Item 4: clone acceptance is judged by a threshold fitted on trials that exclude the scored items (or on a
separate --calibration manifest), says where the threshold came from, scores clones with models of the same
size as the trials', and has CIs that cover the threshold's uncertainty; minDCF and the threshold get CIs;
an aggregate over fewer than 2 items says why it has no CI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from speech_data import KOKORO_VOICES, voice_clips

from tts_interp.evals import calibration, metrics
from tts_interp.evals.aggregate import summarise
from tts_interp.evals.evaluate import evaluate_manifest
from tts_interp.evals.items import EvalItem, SpeakerSet
from tts_interp.evals.score_config import ScoreConfig
from tts_interp.evals.scoring import Evaluator


@pytest.fixture(scope="module")
def speaker_only(private_cache: None) -> Evaluator:
    return Evaluator(ScoreConfig(scorers=("speaker",), device="cpu", batch_size=8))


def _trials_calibration(seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    return calibration.fit(list(0.7 + 0.08 * rng.normal(size=15)), list(0.4 + 0.1 * rng.normal(size=60)), 0, "test")


def test_five_of_five_accepted_is_not_a_certainty() -> None:
    fitted = _trials_calibration()
    result = calibration.acceptance([0.95] * 5, fitted, seed=0)
    assert result["value"] == 1.0 and result["ci95"][1] == 1.0
    assert result["ci95"][0] <= calibration.wilson(5, 5)[0] < 0.6  # Wilson: 0.566
    assert result["threshold_source"] == "test"


def test_acceptance_ci_widens_with_threshold_uncertainty() -> None:
    fitted = _trials_calibration()
    near = [fitted["threshold"] + d for d in np.linspace(-0.02, 0.02, 40)]  # clones right at the threshold
    with_trials = calibration.acceptance(near, fitted, seed=0)
    without = calibration.acceptance(near, {k: v for k, v in fitted.items() if k != "trials"}, seed=0)
    width = lambda r: r["ci95"][1] - r["ci95"][0]  # noqa: E731
    assert width(with_trials) > width(without) + 0.1


def test_min_dcf_and_threshold_have_cis_and_small_aggregates_say_why_not() -> None:
    fitted = _trials_calibration()
    for key in ("eer", "threshold", "min_dcf"):
        low, high = fitted[f"{key}_ci95"]
        assert low <= fitted[key] <= high and low < high, key
    agg = summarise([{"id": "a", "status": "ok", "error": None, "target_score": 0.9, "similarity": 0.8}], fitted)
    assert agg["similarity_mean"]["ci95"] is None and "fewer than 2" in agg["similarity_mean"]["no_ci_reason"]
    assert agg["clone_acceptance_rate"]["ci95"] is None and "fewer than 2" in agg["clone_acceptance_rate"]["no_ci_reason"]


def test_clone_scores_use_leave_one_out_models_like_the_trials() -> None:
    rng = np.random.default_rng(1)
    clips = rng.normal(size=(3, 8))
    e = rng.normal(size=8)
    loo = [metrics.centroid(np.delete(clips, i, axis=0)) for i in range(3)]
    assert calibration.acceptance_score(e, clips) == pytest.approx(np.mean([metrics.cosine(e, m) for m in loo]))


def test_scored_items_are_left_out_of_the_trials_and_calibration_manifest(speaker_only, tmp_path: Path) -> None:
    # each item is a clip of a voice that is also among that voice's reference clips
    items = [EvalItem(v, voice_clips(v)[0], target=SpeakerSet(v, tuple(voice_clips(v))),
                      source=SpeakerSet(w, tuple(voice_clips(w))))
             for v, w in zip(KOKORO_VOICES, KOKORO_VOICES[1:] + KOKORO_VOICES[:1], strict=True)]
    with_all = speaker_only.calibrate(items)
    fair = speaker_only.calibrate(items, [i.audio for i in items])
    assert fair["n_clips"] == with_all["n_clips"] - 5 and fair["n_clips_excluded_as_scored_items"] == 5
    assert "excluded" in fair["threshold_source"]
    manifest, cal = tmp_path / "m.jsonl", tmp_path / "cal.jsonl"
    manifest.write_text("".join(json.dumps({"id": i.id, "audio": str(i.audio), "target": [str(c) for c in i.target.clips],
                                            "source": [str(c) for c in i.source.clips]}) + "\n" for i in items))
    cal.write_text("".join(json.dumps({"id": v, "audio": str(voice_clips(v)[1]),
                                       "reference": {"speaker": v, "clips": [str(c) for c in voice_clips(v)]}}) + "\n"
                           for v in KOKORO_VOICES))
    payload = evaluate_manifest(manifest, speaker_only.config, tmp_path / "out", calibration=cal)
    assert payload["verifier_calibration"]["threshold_source"] == f"--calibration manifest {cal}"
    assert payload["aggregates"]["clone_acceptance_rate"]["threshold_source"].startswith("--calibration")
    assert payload["verifier_calibration"]["n_clips_excluded_as_scored_items"] == 5
