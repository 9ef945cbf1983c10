"""VoicePrivacy-style attackers over a set of clips: who can still tell which voice spoke?

A manifest of clips (id, audio, text, speaker, text_index, and a `condition` such as `plain` or an eraser
cell) is split per voice into enrolment texts (the lower half of each voice's text indices) and trial texts
(the rest), as VoicePrivacy keeps enrolment and trial utterances apart. For each erased condition:

- ignorant attacker: enrols on the voice's original (plain) enrolment clips, verifies the erased trial clips;
- lazy-informed attacker: enrols on erased enrolment clips of the same condition (it owns the eraser);
- closed-set identification: each erased trial clip is given the voice whose (ignorant) enrolment it is
  closest to; chance is 1 / number of voices;
- utility: WER/CER of the erased clips (Whisper) against the text they should say.

The unerased baseline (condition `plain`, trials on plain clips) comes with every table. EERs carry a 95%
bootstrap CI over trial clips (each clip's target and non-target trials resampled together), accuracies a
bootstrap CI over trial clips, every figure n.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tts_interp.core.errors import BadInputError
from tts_interp.core.stats import cluster_bootstrap, percentile_interval
from tts_interp.evals import metrics

BOOTSTRAP = 500


@dataclass(frozen=True)
class Clip:
    """One scored clip: which voice spoke, which text (index within the voice) and its embedding."""

    voice: str
    text_index: int
    embedding: np.ndarray


def enrolment_split(clips: Sequence[Clip]) -> tuple[list[Clip], list[Clip]]:
    """(enrolment clips, trial clips): per voice, texts below the median index enrol, the rest are trials."""
    by_voice: dict[str, set[int]] = defaultdict(set)
    for clip in clips:
        by_voice[clip.voice].add(clip.text_index)
    if any(len(texts) < 2 for texts in by_voice.values()):
        few = sorted(v for v, t in by_voice.items() if len(t) < 2)
        raise BadInputError(f"an attacker needs at least two texts per voice (one to enrol, one to try); voice "
                            f"{few[0]!r} has one")
    cut = {v: sorted(t)[len(t) // 2] for v, t in by_voice.items()}
    enrol = [c for c in clips if c.text_index < cut[c.voice]]
    trials = [c for c in clips if c.text_index >= cut[c.voice]]
    return enrol, trials


def voice_models(enrol: Sequence[Clip]) -> dict[str, np.ndarray]:
    """Each voice's enrolment centroid (unit mean of unit embeddings)."""
    grouped: dict[str, list[np.ndarray]] = defaultdict(list)
    for clip in enrol:
        grouped[clip.voice].append(clip.embedding)
    return {v: metrics.centroid(np.stack(e)) for v, e in sorted(grouped.items())}


def eer_summary(scores: Sequence[float], is_target: Sequence[bool], trial_clip: Sequence[int], seed: int = 0,
                samples: int = BOOTSTRAP) -> dict[str, Any]:
    """EER of verification trials with a 95% bootstrap CI that resamples trial *clips* (every trial of one clip
    goes together: its scores share the clip, so they are not independent), and the trial counts."""
    scores_arr, target = np.asarray(scores, dtype=np.float64), np.asarray(is_target, dtype=bool)
    value, threshold = metrics.eer(scores_arr, target)

    def resampled(rows: np.ndarray) -> float | None:
        picked = target[rows]
        return metrics.eer(scores_arr[rows], picked)[0] if picked.any() and not picked.all() else None

    boot = cluster_bootstrap(np.asarray(trial_clip), resampled, samples, np.random.default_rng(seed))
    low, high = percentile_interval(boot)
    return {"value": value, "ci95": [float(low), float(high)], "threshold": threshold,
            "n_target": int(target.sum()), "n_nontarget": int((~target).sum()),
            "n_trial_clips": len(set(trial_clip)), "chance": 0.5}


def verification(models: dict[str, np.ndarray], trials: Sequence[Clip], seed: int = 0) -> dict[str, Any]:
    """EER of verifying every trial clip against every enrolled voice (same voice = target trial)."""
    scores, is_target, clip_of = [], [], []
    for k, clip in enumerate(trials):
        for voice, model in models.items():
            scores.append(metrics.cosine(clip.embedding, model))
            is_target.append(voice == clip.voice)
            clip_of.append(k)
    return eer_summary(scores, is_target, clip_of, seed)


def identification(models: dict[str, np.ndarray], trials: Sequence[Clip], seed: int = 0) -> dict[str, Any]:
    """Closed-set identification accuracy of trial clips over the enrolled voices, with chance = 1 / voices."""
    voices = list(models)
    table = np.stack([models[v] for v in voices])
    hits = [float(voices[int(np.argmax(table @ metrics.unit(c.embedding)))] == c.voice) for c in trials]
    return {**metrics.summary(hits, seed=seed), "chance": 1.0 / len(voices), "n_voices": len(voices)}


def attackers(plain: Sequence[Clip], erased: Sequence[Clip], seed: int = 0) -> dict[str, Any]:
    """Ignorant and lazy-informed verification EER and identification accuracy for one erased condition."""
    plain_enrol, _ = enrolment_split(plain)
    erased_enrol, erased_trials = enrolment_split(erased)
    original = voice_models(plain_enrol)
    missing = sorted({c.voice for c in erased_trials} - set(original))
    if missing:
        raise BadInputError(f"voice {missing[0]!r} has erased clips but no plain clips to enrol on")
    return {"ignorant_eer": verification(original, erased_trials, seed),
            "lazy_informed_eer": verification(voice_models(erased_enrol), erased_trials, seed),
            "identification": identification(original, erased_trials, seed)}


def baseline(plain: Sequence[Clip], seed: int = 0) -> dict[str, Any]:
    """The unerased attacker: enrol on plain clips, try plain clips of the other texts."""
    enrol, trials = enrolment_split(plain)
    models = voice_models(enrol)
    return {"ignorant_eer": verification(models, trials, seed), "lazy_informed_eer": verification(models, trials, seed),
            "identification": identification(models, trials, seed)}
