"""VoicePrivacy-style attackers over a set of clips: who can still tell which voice spoke?

A manifest of clips (id, audio, text, speaker, text_index, and a `condition` such as `plain` or an eraser
cell) is split per voice into enrolment texts (the lower half of each voice's text indices) and trial texts
(the rest), as VoicePrivacy keeps enrolment and trial utterances apart. For each erased condition:

- ignorant attacker: enrols on the voice's original (plain) enrolment clips, verifies the erased trial clips;
- lazy-informed attacker: enrols on erased enrolment clips of the same condition (it owns the eraser);
- semi-informed attacker (VoicePrivacy 2024's ranking attacker): it owns the eraser and speech of its own
  voices (disjoint from the evaluated ones), erases that speech, and trains a verifier back-end on it (`Backend`:
  LDA with Ledoit-Wolf shrinkage on the unit embeddings, to at most voices - 1 dimensions, then length
  normalisation and cosine scoring); then it enrols and tries erased speech of the evaluated voices in that
  space. On original speech it trains on the attacker voices' original speech;
- closed-set identification: each erased trial clip is given the voice whose (ignorant) enrolment it is
  closest to; chance is 1 / number of voices;
- utility: WER/CER of the erased clips (Whisper) against the text they should say.

The unerased baseline (condition `plain`, trials on plain clips) comes with every table. EERs and accuracies
carry a 95% two-stage bootstrap CI: voices resampled, then each drawn voice's trial clips (a clip's target and
non-target trials go together: they share the clip), every figure n.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tts_interp.core.errors import BadInputError
from tts_interp.core.stats import N_BOOT, nested_bootstrap, percentile_interval
from tts_interp.evals import metrics


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
                samples: int = N_BOOT, clip_voice: Sequence[str] | None = None) -> dict[str, Any]:
    """EER of verification trials with a 95% bootstrap CI that resamples the trial clips' voices, then clips
    within each (every trial of one clip goes together: its scores share the clip, so they are not independent;
    without `clip_voice`, clips alone), and the trial counts."""
    scores_arr, target = np.asarray(scores, dtype=np.float64), np.asarray(is_target, dtype=bool)
    value, threshold = metrics.eer(scores_arr, target)

    def resampled(rows: np.ndarray) -> float | None:
        picked = target[rows]
        return metrics.eer(scores_arr[rows], picked)[0] if picked.any() and not picked.all() else None

    clips = np.asarray(trial_clip)
    voices = np.asarray(clip_voice) if clip_voice is not None else clips
    boot = nested_bootstrap(voices, clips, resampled, samples, np.random.default_rng(seed))
    low, high = percentile_interval(boot)
    return {"value": value, "ci95": [float(low), float(high)], "threshold": threshold,
            "n_target": int(target.sum()), "n_nontarget": int((~target).sum()),
            "n_trial_clips": len(set(trial_clip)), "n_voices": len(set(voices.tolist())), "chance": 0.5,
            "ci_resamples": "voices, then clips within each" if clip_voice is not None else "clips"}


def verification(models: dict[str, np.ndarray], trials: Sequence[Clip], seed: int = 0) -> dict[str, Any]:
    """EER of verifying every trial clip against every enrolled voice (same voice = target trial)."""
    scores, is_target, clip_of, voice_of = [], [], [], []
    for k, clip in enumerate(trials):
        for voice, model in models.items():
            scores.append(metrics.cosine(clip.embedding, model))
            is_target.append(voice == clip.voice)
            clip_of.append(k)
            voice_of.append(clip.voice)
    return eer_summary(scores, is_target, clip_of, seed, clip_voice=voice_of)


def identification(models: dict[str, np.ndarray], trials: Sequence[Clip], seed: int = 0) -> dict[str, Any]:
    """Closed-set identification accuracy of trial clips over the enrolled voices, with chance = 1 / voices."""
    voices = list(models)
    table = np.stack([models[v] for v in voices])
    hits = np.array([float(voices[int(np.argmax(table @ metrics.unit(c.embedding)))] == c.voice) for c in trials])
    return {"value": float(hits.mean()), "ci95": _accuracy_ci(np.array([c.voice for c in trials]), hits, seed),
            "n": len(trials), "chance": 1.0 / len(voices), "n_voices": len(voices),
            "ci_resamples": "voices, then clips within each"}


def _accuracy_ci(voices: np.ndarray, hits: np.ndarray, seed: int) -> list[float]:
    """95% CI of a hit rate over clips, resampling their voices, then the clips within each."""
    boot = nested_bootstrap(voices, np.arange(len(hits)), lambda rows: float(hits[rows].mean()), N_BOOT,
                            np.random.default_rng(seed))
    low, high = percentile_interval(boot)
    return [float(low), float(high)]


class Backend:
    """The semi-informed attacker's verifier back-end: LDA (Ledoit-Wolf shrinkage) trained on the attacker's own
    voices, to at most voices - 1 dimensions, then length normalisation; cosine scoring in that space."""

    def __init__(self, clips: Sequence[Clip]):
        from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

        voices = sorted({c.voice for c in clips})
        if len(voices) < 2:
            raise BadInputError(f"the semi-informed attacker needs speech of at least 2 voices of its own to train "
                                f"on; it has {len(voices)} (give --attacker-voices)")
        x = np.stack([metrics.unit(c.embedding) for c in clips]).astype(np.float64)
        dims = min(len(voices) - 1, x.shape[1])
        self.lda = LinearDiscriminantAnalysis(solver="eigen", shrinkage="auto", n_components=dims)
        self.lda.fit(x, [c.voice for c in clips])
        self.voices, self.dims = voices, dims

    def __call__(self, clip: Clip) -> Clip:
        projected = self.lda.transform(metrics.unit(clip.embedding)[None].astype(np.float64))[0]
        return Clip(clip.voice, clip.text_index, metrics.unit(projected))


def semi_informed(attacker: Sequence[Clip], erased: Sequence[Clip], seed: int = 0) -> dict[str, Any]:
    """Semi-informed verification EER: a back-end trained on the attacker's own (erased) voices; enrolment and
    trials are erased speech of the evaluated voices, which must be disjoint from the attacker's."""
    shared = sorted({c.voice for c in attacker} & {c.voice for c in erased})
    if shared:
        raise BadInputError(f"the attacker's voices must be disjoint from the evaluated ones; both have {shared[0]!r}")
    backend = Backend(attacker)
    enrol, trials = enrolment_split(erased)
    result = verification(voice_models([backend(c) for c in enrol]), [backend(c) for c in trials], seed)
    return {**result, "backend": f"LDA ({backend.dims} dims, Ledoit-Wolf shrinkage) on {len(backend.voices)} "
                                 f"attacker voices, {len(attacker)} clips"}


def attackers(plain: Sequence[Clip], erased: Sequence[Clip], seed: int = 0,
              attacker: Sequence[Clip] = ()) -> dict[str, Any]:
    """Ignorant, lazy-informed and (with `attacker` clips: the attacker's own voices under the same condition)
    semi-informed verification EER, and identification accuracy, for one erased condition."""
    plain_enrol, _ = enrolment_split(plain)
    erased_enrol, erased_trials = enrolment_split(erased)
    original = voice_models(plain_enrol)
    missing = sorted({c.voice for c in erased_trials} - set(original))
    if missing:
        raise BadInputError(f"voice {missing[0]!r} has erased clips but no plain clips to enrol on")
    return {"ignorant_eer": verification(original, erased_trials, seed),
            "lazy_informed_eer": verification(voice_models(erased_enrol), erased_trials, seed),
            **_semi(attacker, erased, seed), "identification": identification(original, erased_trials, seed)}


def _semi(attacker: Sequence[Clip], erased: Sequence[Clip], seed: int) -> dict[str, Any]:
    """{"semi_informed_eer": ...} when the attacker has speech of its own (or why it cannot attack), else {}."""
    if not attacker:
        return {}
    try:
        return {"semi_informed_eer": semi_informed(attacker, erased, seed)}
    except BadInputError as exc:
        return {"semi_informed_eer": {"reason": str(exc)}}


def baseline(plain: Sequence[Clip], seed: int = 0, attacker: Sequence[Clip] = ()) -> dict[str, Any]:
    """The unerased attacker: enrol on plain clips, try plain clips of the other texts (the semi-informed one
    trains on the attacker voices' original speech)."""
    enrol, trials = enrolment_split(plain)
    models = voice_models(enrol)
    return {"ignorant_eer": verification(models, trials, seed), "lazy_informed_eer": verification(models, trials, seed),
            **_semi(attacker, plain, seed), "identification": identification(models, trials, seed)}


def attribute_attack(train: Sequence[tuple[str, str, np.ndarray]], test: Sequence[tuple[str, str, np.ndarray]],
                     seed: int = 0) -> dict[str, Any]:
    """An attribute attacker (e.g. gender): logistic regression on unit embeddings of (voice, label, embedding)
    `train` clips, scored on `test` clips of other voices. Accuracy with a CI resampling voices then clips, and an
    exact permutation p-value over the test voices' labels (every relabelling that keeps the label counts; the
    smallest attainable p is 1 / the number of relabellings)."""
    from itertools import combinations

    from sklearn.linear_model import LogisticRegression

    shared = sorted({v for v, _, _ in train} & {v for v, _, _ in test})
    if shared:
        raise BadInputError(f"the attribute attacker must be trained on other voices; {shared[0]!r} is in both")
    model = LogisticRegression(max_iter=2000).fit(np.stack([metrics.unit(e) for _, _, e in train]),
                                                  [lab for _, lab, _ in train])
    predicted = model.predict(np.stack([metrics.unit(e) for _, _, e in test]))
    voices = np.array([v for v, _, _ in test])
    label_of = {v: lab for v, lab, _ in test}
    names = sorted(label_of)
    labels = sorted(set(label_of.values()))
    if len(labels) != 2:
        raise BadInputError(f"the attribute attacker's exact test needs test voices of two labels; they have "
                            f"{len(labels)} ({', '.join(map(str, labels))})")
    hits = np.array([p == label_of[v] for p, v in zip(predicted, voices, strict=True)], dtype=float)
    count = sum(label_of[v] == labels[0] for v in names)
    null = []
    for chosen in combinations(names, count):  # every relabelling of the test voices with the same counts
        relabel = {v: labels[0] if v in chosen else labels[1] for v in names}
        null.append(float(np.mean([p == relabel[v] for p, v in zip(predicted, voices, strict=True)])))
    observed = float(hits.mean())
    p_value = float(np.mean(np.asarray(null) >= observed - 1e-12))
    return {"value": observed, "ci95": _accuracy_ci(voices, hits, seed), "n_clips": len(test), "n_voices": len(names),
            "p_value": p_value, "min_p": 1.0 / len(null), "chance": float(np.mean(null)),
            "train_voices": sorted({v for v, _, _ in train}), "test_voices": names}
