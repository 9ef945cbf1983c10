"""Calibrating the speaker verifier on a run's own clips: EER and minDCF, with a bootstrap CI on the EER.

Every identity number a user reads needs its chance baseline; the verifier's own error rate on these speakers is
it. The CI resamples target and non-target trials each within itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from tts_interp.core.errors import TTSInterpError
from tts_interp.evals import metrics
from tts_interp.evals.items import BadRow, EvalItem

CALIBRATION_BOOTSTRAP = 200


def verifier_calibration(evaluator: Any, entries: Iterable[EvalItem | BadRow]) -> dict[str, Any]:
    """The verifier's own EER / minDCF on the run's speaker clips (reference, source, target).

    Target trials: each clip against the centroid of its speaker's other clips; non-target trials: each
    clip against the centroid of every other speaker. Needs 2+ speakers, one of them with 2+ clips.
    """
    speakers: dict[str, set[Path]] = {}
    for entry in entries:
        if isinstance(entry, EvalItem):
            for s in entry.speaker_sets():
                speakers.setdefault(s.name, set()).update(s.clips)
    if "speaker" not in evaluator.config.scorers or not speakers:
        return {"available": False, "reason": "no speaker clips in this run"}
    try:
        embedded = evaluator.embed_files(sorted({c for clips in speakers.values() for c in clips}))
    except TTSInterpError as exc:
        return {"available": False, "reason": f"speaker backend unavailable: {exc}"}
    good = {name: {c: embedded[c] for c in sorted(clips) if not isinstance(embedded[c], str)}
            for name, clips in speakers.items()}
    good = {name: clips for name, clips in good.items() if clips}
    models = {name: metrics.centroid(np.stack(list(clips.values()))) for name, clips in good.items()}
    target, nontarget = [], []
    for name, clips in good.items():
        for clip, embedding in clips.items():
            others = [e for c, e in clips.items() if c != clip]
            if others:
                target.append(metrics.cosine(embedding, metrics.centroid(np.stack(others))))
            nontarget.extend(metrics.cosine(embedding, models[k]) for k in good
                             if k != name and clip not in good[k])
    skipped = sum(isinstance(e, str) for e in embedded.values())
    if not target or not nontarget:
        return {"available": False, "n_speakers": len(good), "n_clips": sum(map(len, good.values())),
                "reason": "needs at least two speakers, one with two or more usable clips"}
    scores = np.array(target + nontarget)
    labels = np.array([True] * len(target) + [False] * len(nontarget))
    eer, threshold, ci = metrics.eer_with_ci(target, nontarget, CALIBRATION_BOOTSTRAP, evaluator.config.seed)
    return {"available": True, "eer": eer, "eer_ci95": list(ci),
            "threshold": threshold, "min_dcf": metrics.min_dcf(scores, labels), "p_target": metrics.P_TARGET,
            "n_target_trials": len(target), "n_nontarget_trials": len(nontarget), "n_speakers": len(good),
            "n_clips": sum(map(len, good.values())), "n_clips_unusable": skipped}
