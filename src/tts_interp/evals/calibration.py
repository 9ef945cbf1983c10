"""The verifier's calibration (EER, minDCF, the acceptance threshold) and clone acceptance with honest CIs.

Trials: every clip of a speaker against that speaker's leave-one-out model (centroid of its *other* clips:
a target trial) and against every other speaker's leave-one-out models (non-target trials). A clone is
scored the same way (`acceptance_score`: mean cosine to the target's leave-one-out models), so threshold
and score use models of the same size. Clips that are themselves scored items never enter the trials (the
threshold is not fitted on what it judges); a separate `--calibration` manifest can supply the clips.

Clone acceptance = share of identity-edit items whose acceptance score reaches the EER threshold. Its 95%
CI is the wider of (a) a bootstrap that resamples items *and* trials and refits the threshold each time and
(b) the Wilson interval of the count, so 5 accepted of 5 never reads [1, 1].
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tts_interp.core.errors import TTSInterpError
from tts_interp.core.stats import N_BOOT, percentile_interval, stratified_bootstrap
from tts_interp.evals import metrics
from tts_interp.evals.items import BadRow, EvalItem

Z95 = 1.959964


def speaker_models(clips: np.ndarray) -> list[np.ndarray]:
    """Leave-one-out centroids of a speaker's clip embeddings (the full centroid if it has one clip)."""
    if len(clips) < 2:
        return [metrics.centroid(clips)]
    return [metrics.centroid(np.delete(clips, i, axis=0)) for i in range(len(clips))]


def acceptance_score(embedding: np.ndarray, target_clips: np.ndarray) -> float:
    """Mean cosine of a clip to the target's leave-one-out models: the score the threshold is fitted on."""
    return float(np.mean([metrics.cosine(embedding, m) for m in speaker_models(target_clips)]))


def trials(speakers: Mapping[str, np.ndarray]) -> tuple[list[float], list[float]]:
    """Target and non-target trial scores of speaker -> (clips, dim) embeddings (see the module docstring)."""
    models = {name: speaker_models(clips) for name, clips in speakers.items()}
    target, nontarget = [], []
    for name, clips in speakers.items():
        for i, clip in enumerate(clips):
            if len(clips) > 1:
                target.append(metrics.cosine(clip, models[name][i]))
            nontarget += [float(np.mean([metrics.cosine(clip, m) for m in models[other]]))
                          for other in speakers if other != name]
    return target, nontarget


def wilson(successes: int, n: int) -> tuple[float, float]:
    """Wilson score 95% interval of a proportion."""
    p = successes / n
    centre = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / (1 + Z95**2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _percentiles(values: Any) -> list[float]:
    low, high = percentile_interval(np.asarray(values, dtype=np.float64))
    return [float(low), float(high)]


def fit(target: Sequence[float], nontarget: Sequence[float], seed: int, source: str) -> dict[str, Any]:
    """EER, threshold and minDCF of the trials, each with a bootstrap 95% CI over trials; `source` says where
    the trials came from. The trials are kept so that acceptance can refit the threshold."""
    t_arr, n_arr = np.asarray(target), np.asarray(nontarget)
    labels = np.array([True] * len(t_arr) + [False] * len(n_arr))
    eer, threshold = metrics.eer(np.concatenate([t_arr, n_arr]), labels)

    def refit(t: np.ndarray, n: np.ndarray) -> tuple[float, float, float]:
        scores = np.concatenate([t, n])
        return (*metrics.eer(scores, labels), metrics.min_dcf(scores, labels))

    boot = np.array(stratified_bootstrap([t_arr, n_arr], refit, N_BOOT, np.random.default_rng(seed)))
    return {"available": True, "threshold_source": source, "eer": eer, "eer_ci95": _percentiles(boot[:, 0]),
            "threshold": threshold, "threshold_ci95": _percentiles(boot[:, 1]),
            "min_dcf": metrics.min_dcf(np.concatenate([t_arr, n_arr]), labels),
            "min_dcf_ci95": _percentiles(boot[:, 2]), "p_target": metrics.P_TARGET, "bootstrap": N_BOOT,
            "n_target_trials": len(t_arr), "n_nontarget_trials": len(n_arr),
            "trials": {"target": t_arr.tolist(), "nontarget": n_arr.tolist()}}


def verifier_calibration(evaluator: Any, entries: Iterable[EvalItem | BadRow], exclude: Iterable[Path],
                         source: str) -> dict[str, Any]:
    """The verifier's calibration on the speaker clips (reference, source, target) of `entries`, embedded by
    `evaluator`, leaving out the clips in `exclude` (the scored items' audio)."""
    speakers: dict[str, set[Path]] = {}
    for entry in entries:
        if isinstance(entry, EvalItem):
            for s in entry.speaker_sets():
                speakers.setdefault(s.name, set()).update(s.clips)
    if "speaker" not in evaluator.config.scorers or not speakers:
        return {"available": False, "threshold_source": source, "reason": "no speaker clips in this run"}
    try:
        embedded = evaluator.embed_files(sorted({c for clips in speakers.values() for c in clips}))
    except TTSInterpError as exc:
        return {"available": False, "threshold_source": source, "reason": f"speaker backend unavailable: {exc}"}
    clips = {name: {c: embedded[c] for c in sorted(paths)} for name, paths in speakers.items()}
    return calibrate(clips, set(exclude), evaluator.config.seed, source)


def calibrate(speakers: Mapping[str, Mapping[Path, np.ndarray | str]], exclude: set[Path], seed: int,
              source: str) -> dict[str, Any]:
    """Fit the verifier's threshold on each speaker's usable clips, leaving out the clips in `exclude`."""
    usable = {name: np.stack([e for c, e in sorted(clips.items()) if not isinstance(e, str) and c not in exclude])
              for name, clips in speakers.items()
              if any(not isinstance(e, str) and c not in exclude for c, e in clips.items())}
    counts = {"n_speakers": len(usable), "n_clips": sum(map(len, usable.values())),
              "n_clips_unusable": sum(isinstance(e, str) for clips in speakers.values() for e in clips.values()),
              "n_clips_excluded_as_scored_items": sum(c in exclude for clips in speakers.values() for c in clips)}
    target, nontarget = trials(usable)
    if not target or not nontarget:
        return {"available": False, "threshold_source": source, **counts,
                "reason": "needs at least two speakers, one with two or more usable clips (scored items excluded)"}
    return {**fit(target, nontarget, seed, source), **counts}


def acceptance(scores: Sequence[float], calibration: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """Clone acceptance rate at the EER threshold with a CI covering item and threshold uncertainty."""
    scores_arr = np.asarray(scores, dtype=np.float64)
    n, threshold = len(scores_arr), calibration["threshold"]
    accepted = int((scores_arr >= threshold).sum())
    out: dict[str, Any] = {"n": n, "value": accepted / n, "accepted": accepted, "threshold": threshold,
                           "threshold_source": calibration.get("threshold_source")}
    if n < 2:
        return {**out, "ci95": None, "no_ci_reason": f"fewer than 2 items (n={n})"}
    low, high = wilson(accepted, n)
    boot = _refit_bootstrap(scores_arr, calibration, seed) if "trials" in calibration else None
    if boot is not None:
        low, high = min(low, boot[0]), max(high, boot[1])
    return {**out, "ci95": [low, high], "wilson_ci95": list(wilson(accepted, n)), "bootstrap_ci95": boot,
            "ci_method": "wider of Wilson and a bootstrap over items and trials that refits the threshold"
            if boot else "Wilson (no trials saved to refit the threshold)"}


def _refit_bootstrap(scores: np.ndarray, calibration: Mapping[str, Any], seed: int) -> list[float]:
    target, nontarget = (np.asarray(calibration["trials"][k]) for k in ("target", "nontarget"))
    labels = np.array([True] * len(target) + [False] * len(nontarget))

    def rate(s: np.ndarray, t: np.ndarray, n: np.ndarray) -> float:
        return float((s >= metrics.eer(np.concatenate([t, n]), labels)[1]).mean())

    return _percentiles(stratified_bootstrap([scores, target, nontarget], rate, N_BOOT,
                                             np.random.default_rng(seed)))
