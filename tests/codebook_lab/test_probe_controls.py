"""Item 5: control tasks in the sense of Hewitt and Liang (a fixed random label per type, learnable by
memorising), speaker-disjoint splits for phoneme and pitch, and results that say what the p-value and the
CI hold fixed."""

from __future__ import annotations

import numpy as np

from tts_interp.interventions.codebooks.probing import ProbeTask, evaluate, split_speakers


def _frame_task(seed: int = 0) -> tuple[ProbeTask, np.ndarray, np.ndarray]:
    """12 utterances x 50 frames; each frame has a code value (type, 20 of them) and a random class label."""
    rng = np.random.default_rng(seed)
    types = rng.integers(0, 20, size=600)
    groups = np.repeat(np.arange(12), 50)
    targets = rng.integers(0, 4, size=600)
    task = ProbeTask("phoneme", "classification", "rotation", targets, groups, groups < 8)
    features = np.eye(20)[types] + 0.01 * rng.normal(size=(600, 20))  # the probe sees the code value
    return task, features, types


def test_control_task_can_be_memorised_so_selectivity_can_fail() -> None:
    task, features, types = _frame_task()
    result = evaluate(task, features, seed=0, n_permutations=20, n_bootstrap=20, types=types)
    # a control label per code value is learnable from features that encode the code value ...
    assert result["control"]["accuracy"] > 0.9
    # ... so a probe whose real labels have nothing to do with the features has no selectivity
    assert result["selectivity"]["accuracy"] < 0.0
    assert "code value" in result["control_task"]


def test_results_say_what_the_p_value_and_ci_hold_fixed() -> None:
    task, features, types = _frame_task(1)
    result = evaluate(task, features, seed=0, n_permutations=20, n_bootstrap=20, types=types)
    assert "fitted probe" in result["p_value_holds_fixed"] and "circularly shifted" in result["p_value_holds_fixed"]
    assert "test utterances" in result["ci95_resamples"]


def test_speaker_disjoint_split() -> None:
    utts = [f"u{i}" for i in range(12)]
    speakers = [f"s{i % 4}" for i in range(12)]
    split = split_speakers(utts, speakers, 0.3, seed=0)
    train_speakers = {s for u, s in zip(utts, speakers, strict=True) if u in split.train}
    test_speakers = {s for u, s in zip(utts, speakers, strict=True) if u in split.test}
    assert train_speakers and test_speakers and not train_speakers & test_speakers
    assert split.train | split.test == set(utts)
    alone = split_speakers(["a", "b"], ["s", "s"], 0.3, seed=0)
    assert not alone.test and "two or more" in alone.unsplittable[0]["reason"]
