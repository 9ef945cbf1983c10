"""Item 6: the prompt-effect profile's CI over the autocorrelated frames of one utterance is a block
bootstrap (and says so). On AR(1) series with phi 0.9 (n=200, 120 series) it covers the true mean 76% of the
time where an i.i.d. frame bootstrap covers it 28% (nominal 95%: with ~10 independent stretches per series a
block bootstrap still under-covers; the i.i.d. one is badly wrong)."""

from __future__ import annotations

import numpy as np

from tts_interp.core.stats import block_bootstrap_ci, block_length, bootstrap_ci
from tts_interp.interventions.talker.prompt_effect import PromptEffect


def _ar1(n: int, phi: float, rng: np.random.Generator) -> np.ndarray:
    noise = rng.normal(size=n)
    out = np.empty(n)
    out[0] = noise[0] / np.sqrt(1 - phi**2)
    for i in range(1, n):
        out[i] = phi * out[i - 1] + noise[i]
    return out


def test_block_bootstrap_covers_the_mean_of_an_autocorrelated_series() -> None:
    rng = np.random.default_rng(0)
    series = np.stack([_ar1(200, 0.9, rng) for _ in range(120)])  # true mean 0
    block = block_length(series)
    _, low, high = np.array([block_bootstrap_ci(row, block, n_boot=300) for row in series]).T
    _, naive_low, naive_high = bootstrap_ci(series, n_boot=300)
    covered = np.mean((low <= 0) & (0 <= high))
    naive = np.mean((naive_low <= 0) & (0 <= naive_high))
    assert naive < 0.5 and covered > 0.7, (naive, covered)
    assert 2 <= block <= 100


def test_prompt_effect_profile_uses_and_names_the_block_bootstrap() -> None:
    rng = np.random.default_rng(1)
    per_frame = {name: np.stack([_ar1(60, 0.8, rng) for _ in range(3)]) for name in ("lens_js", "cosine",
                                                                                     "relative_l2")}
    info = PromptEffect(per_frame, ["instruct"], n_boot=100).to_json()
    assert "block bootstrap" in info["ci"] and "block length" in info["ci"]
    row = info["layers"][0]
    assert row["cosine_ci_low"] <= row["cosine"] <= row["cosine_ci_high"]
