"""Metric formulas against hand-computed values (no models)."""

from __future__ import annotations

import numpy as np
import pytest

from tts_interp.core.errors import BadInputError
from tts_interp.evals import metrics


def test_eer_matches_hand_computed_example() -> None:
    # target 0.9 0.8 0.7 0.4, non-target 0.6 0.5 0.3 0.2. At threshold 0.6 (accept >= t): one target (0.4)
    # rejected -> FRR 1/4; one non-target (0.6) accepted -> FAR 1/4. Below 0.6 FAR > FRR, above FRR > FAR.
    scores = [0.9, 0.8, 0.7, 0.4, 0.6, 0.5, 0.3, 0.2]
    labels = [True] * 4 + [False] * 4
    rate, threshold = metrics.eer(scores, labels)
    assert rate == pytest.approx(0.25)
    assert threshold == pytest.approx(0.6)


def test_eer_interpolates_between_thresholds_and_is_zero_when_separated() -> None:
    # target 0.9, 0.5; non-target 0.6, 0.1. t=0.5: FAR 1/2, FRR 0. t=0.6: FAR 1/2, FRR 1/2 -> EER 1/2 at 0.6.
    assert metrics.eer([0.9, 0.5, 0.6, 0.1], [True, True, False, False]) == pytest.approx((0.5, 0.6))
    # target 0.9, 0.25; non-target 0.3, 0.2, 0.1. t=0.25: FAR 1/3, FRR 0; t=0.3: FAR 1/3, FRR 1/2. FAR = FRR
    # on the segment between them at a = (1/3) / (1/3 + 1/6) = 2/3: EER 1/3, threshold 0.25 + 2/3 * 0.05.
    rate, threshold = metrics.eer([0.9, 0.25, 0.3, 0.2, 0.1], [True, True, False, False, False])
    assert rate == pytest.approx(1 / 3)
    assert threshold == pytest.approx(0.25 + 2 / 3 * 0.05)
    assert metrics.eer([0.9, 0.8, 0.3, 0.2], [True, True, False, False])[0] == 0.0


def test_min_dcf_hand_computed() -> None:
    # p_target 0.5, costs 1: normalised DCF = FRR + FAR at the best threshold; with the example above the
    # best is t=0.7 (FRR 1/4, FAR 0) -> 0.25.
    scores = [0.9, 0.8, 0.7, 0.4, 0.6, 0.5, 0.3, 0.2]
    labels = [True] * 4 + [False] * 4
    assert metrics.min_dcf(scores, labels, p_target=0.5) == pytest.approx(0.25)
    assert metrics.min_dcf([0.9, 0.8, 0.3, 0.2], [True, True, False, False]) == 0.0


def test_eer_needs_both_kinds_of_trials() -> None:
    with pytest.raises(BadInputError, match="non-target"):
        metrics.eer([0.9, 0.8], [True, True])


def test_identity_shift_endpoints_midpoint_and_baseline() -> None:
    s = np.array([1.0, 0.0, 0.0])
    t = np.array([0.0, 1.0, 0.0])
    assert metrics.identity_shift(s, s, t).projection == pytest.approx(0.0)
    assert metrics.identity_shift(t, s, t).projection == pytest.approx(1.0)
    mid = metrics.identity_shift(s + t, s, t)
    assert mid.projection == pytest.approx(0.5)
    assert mid.baseline == pytest.approx(0.0)
    assert mid.cosine_share == pytest.approx(np.sqrt(0.5))  # cos(e, T) = 0.707 with baseline 0
    off_line = metrics.identity_shift(np.array([0.0, 0.0, 1.0]), s, t)  # orthogonal to both
    assert off_line.projection == pytest.approx(0.5)
    assert off_line.cosine_share == pytest.approx(0.0)
    with pytest.raises(BadInputError, match="same embedding"):
        metrics.identity_shift(s, s, s)


def test_bootstrap_summary_carries_n_and_a_ci_around_the_value() -> None:
    values = np.random.default_rng(1).normal(0.5, 0.1, 200)
    out = metrics.summary(values)
    assert out["n"] == 200
    low, high = out["ci95"]
    assert low < out["value"] < high and high - low < 0.05
    ratio = metrics.summary([1, 0, 3], [10, 10, 10])
    assert ratio["value"] == pytest.approx(4 / 30)
    assert metrics.summary([0.3])["ci95"] is None
    assert metrics.summary([])["n"] == 0


def test_edit_counts() -> None:
    counts = metrics.edit_counts("the cat sat", "the cat sat down")
    assert (counts.word_errors, counts.words) == (1, 3)
    assert metrics.edit_counts("a b", "").wer == 1.0
    with pytest.raises(BadInputError, match="empty"):
        metrics.edit_counts("  ", "x")
