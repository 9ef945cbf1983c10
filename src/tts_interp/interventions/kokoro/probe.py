"""A gender probe over Kokoro's English voices at any site, on voice-disjoint train/test splits.

Each run (one voice speaking one text) gives one sample: its rows at the site averaged. Voices are split, not
runs, so no test voice was seen in training (stratified by gender). The probe, permutation null, bootstrap CI
and shuffled-label control are the project's (interventions/probing.py), with whole voices as the units.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tts_interp.interventions.kokoro.experiments import Collected
from tts_interp.interventions.probing import ProbeTask, evaluate
from tts_interp.models.kokoro.voices import voice_info


def voice_split(voices: Sequence[str], test_fraction: float, seed: int) -> set[str]:
    """Test voices: round(n * fraction) of each gender, drawn with `seed`."""
    rng = np.random.default_rng(seed)
    test: set[str] = set()
    for gender in ("female", "male"):
        group = sorted(v for v in voices if voice_info(v).gender == gender)
        count = min(len(group) - 1, max(1, round(len(group) * test_fraction)))
        test.update(group[i] for i in rng.permutation(len(group))[:count])
    return test


def gender_probe(collected: Collected, site: str, seed: int = 0, test_fraction: float = 0.4,
                 n_permutations: int = 999) -> dict[str, Any]:
    """Probe accuracy for gender at `site` with chance (permutation mean), p-value, 95% CI and control."""
    voices = [voice for voice, _ in collected.runs]
    features = np.concatenate([row.numpy() for row in collected.rows[site]]).astype(np.float64)
    names = sorted(set(voices))
    test = voice_split(names, test_fraction, seed)
    task = ProbeTask(name=f"gender@{site}", kind="classification", null="utterance",
                     targets=np.array([int(voice_info(v).gender == "male") for v in voices]),
                     groups=np.array([names.index(v) for v in voices]),
                     train=np.array([v not in test for v in voices]), classes=("female", "male"))
    result = evaluate(task, features, seed, n_permutations=n_permutations, n_bootstrap=500)
    majority = max(np.mean(task.targets[~task.train]), 1 - np.mean(task.targets[~task.train]))
    return {**result, "site": site, "test_voices": sorted(test), "n_voices": len(names),
            "majority_baseline": float(majority)}
