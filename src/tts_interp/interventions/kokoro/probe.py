"""A gender probe over Kokoro's English voices at any site, cross-fitted on voice-disjoint folds.

Each run (one voice speaking one text) gives one sample: its rows at the site averaged. Voices are split into
folds stratified by gender; each fold is predicted by a probe trained on the other folds' voices, so every
voice is tested once and never seen in training. The linear probe is the project's
(interventions/codebooks/probing.py); the p-value permutes gender labels across voices (999 draws), the CI resamples voices (bootstrap, core/stats).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tts_interp.core.stats import distinct_relabellings, percentile_interval, permutation_p_value, smallest_p
from tts_interp.interventions.codebooks.probing import _fit_predict
from tts_interp.interventions.kokoro.experiments import Collected
from tts_interp.models.kokoro.voices import voice_info


def voice_folds(voices: list[str], folds: int, seed: int) -> dict[str, int]:
    """Fold of every voice: each gender's voices dealt round-robin in a seeded random order."""
    rng = np.random.default_rng(seed)
    fold: dict[str, int] = {}
    for gender in ("female", "male"):
        group = sorted(v for v in voices if voice_info(v).gender == gender)
        for k, i in enumerate(rng.permutation(len(group))):
            fold[group[i]] = k % folds
    return fold


def gender_probe(collected: Collected, site: str, seed: int = 0, folds: int = 4, n_permutations: int = 999,
                 n_bootstrap: int = 1000) -> dict[str, Any]:
    """Cross-fitted accuracy of a gender probe at `site`, with its permutation p-value, chance, CI and baseline."""
    run_voices = [voice for voice, _ in collected.runs]
    names = sorted(set(run_voices))
    features = np.concatenate([row.numpy() for row in collected.rows[site]]).astype(np.float64)
    labels = np.array([int(voice_info(v).gender == "male") for v in run_voices])
    fold_of = voice_folds(names, folds, seed)
    run_folds = np.array([fold_of[v] for v in run_voices])
    predicted = np.empty_like(labels)
    for k in range(folds):
        test = run_folds == k
        predicted[test] = _fit_predict("classification", features[~test], labels[~test], features[test], seed)
    # Per voice: its runs' majority prediction (one voice = one unit for the null and the bootstrap).
    voice_label = np.array([labels[run_voices.index(v)] for v in names])
    voice_pred = np.array([round(predicted[[i for i, r in enumerate(run_voices) if r == v]].mean()) for v in names])
    accuracy = float(np.mean(voice_pred == voice_label))
    rng = np.random.default_rng(seed)
    null = np.array([np.mean(voice_pred == rng.permutation(voice_label)) for _ in range(n_permutations)])
    boot = [np.mean((voice_pred == voice_label)[rng.integers(0, len(names), len(names))]) for _ in range(n_bootstrap)]
    majority = float(max(voice_label.mean(), 1 - voice_label.mean()))
    low, high = percentile_interval(boot)
    return {"site": site, "accuracy": accuracy, "p_value": permutation_p_value(accuracy, null),
            "min_p": smallest_p(n_permutations, distinct_relabellings(voice_label)),
            "chance": float(null.mean()), "majority_baseline": majority,
            "ci95": [float(low), float(high)], "n_voices": len(names),
            "n_runs": len(run_voices), "folds": folds, "wrong": [v for v, p, t in zip(names, voice_pred, voice_label,
                                                                                       strict=True) if p != t]}
