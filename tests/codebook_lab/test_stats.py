"""Codebook statistics on codes whose answers are known by construction."""

from __future__ import annotations

import numpy as np

from tts_interp.interventions.codebooks.stats import codebook_stats, mutual_information_bits, run_lengths


def test_run_lengths_entropy_and_mutual_information() -> None:
    np.testing.assert_array_equal(run_lengths(np.array([3, 3, 3, 1, 1, 7])), [3, 2, 1])
    rng = np.random.default_rng(0)
    a = rng.integers(0, 4, 4000)
    assert abs(mutual_information_bits(a, a) - 2.0) < 0.01
    assert mutual_information_bits(a, rng.integers(0, 4, 4000)) < 0.01


def test_codebook_stats_known_answers() -> None:
    rng = np.random.default_rng(0)
    utterances = []
    for _ in range(3):
        slow = np.repeat(rng.integers(0, 8, 50), 4)  # runs of 4 frames (runs may merge when values repeat)
        fast = rng.integers(0, 16, 200)
        utterances.append(np.stack([slow, fast, fast], axis=1))
    stats = codebook_stats(utterances, frame_rate=12.5, codebook_size=16)
    slow_row, fast_row, _ = stats["per_codebook"]
    assert (
        4.0 <= slow_row["mean_run_frames"] < 5.0
        and slow_row["mean_run_ms"] == slow_row["mean_run_frames"] * 80
    )
    assert fast_row["mean_run_frames"] < 1.2
    assert slow_row["fraction_used"] == 0.5 and fast_row["fraction_used"] == 1.0
    assert abs(fast_row["perplexity"] - 16) < 0.5
    mi = np.asarray(stats["mutual_information_bits"])
    assert abs(mi[1, 2] - fast_row["entropy_bits"]) < 1e-9
    assert np.asarray(stats["mutual_information_shuffled_bits"])[1, 2] < 0.2 * mi[1, 2]
