"""The numbers: cosine similarity, identity shift, EER/minDCF, edit-distance counts and bootstrap CIs.

Pure numpy on plain arrays so every formula can be checked by hand in a test.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tts_interp.core.errors import BadInputError
from tts_interp.core.stats import N_BOOT, bootstrap_ci, mean_ci

P_TARGET = 0.01  # NIST SRE / VoxCeleb minDCF operating point
MIN_SHIFT_SPAN = 0.05  # unedited source and target clips closer than this on the raw projection: no shift


def unit(vector: np.ndarray) -> np.ndarray:
    """L2-normalise a vector (or the rows of a matrix)."""
    vector = np.asarray(vector, dtype=np.float64)
    norm = np.linalg.norm(vector, axis=-1, keepdims=True)
    return vector / np.maximum(norm, 1e-12)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two embeddings."""
    return float(np.dot(unit(a), unit(b)))


def centroid(embeddings: np.ndarray) -> np.ndarray:
    """The unit-length mean of unit-length embeddings (rows): a speaker model."""
    return unit(unit(np.asarray(embeddings)).mean(axis=0))


@dataclass(frozen=True)
class ShiftScale:
    """The calibration of an identity shift for one speaker pair, by leave-one-out over reference clips.

    `source_models[i]` is the centroid of every source clip but the i-th (likewise `target_models`). A clip
    is placed by `place`: its mean projection over every (source_models[i], target_models[j]) pair. Source
    clip i, placed with source model i only (the one it is not in), is as independent of its models as a new
    clip is, so `start` (the mean of those places) is where an unedited source clip lands in expectation,
    with no model of the verifier's geometry; likewise `end` for the target.
    """

    source_models: tuple[np.ndarray, ...]
    target_models: tuple[np.ndarray, ...]
    start: float
    end: float

    def place(self, embedding: np.ndarray, source_model: int | None = None, target_model: int | None = None
              ) -> float:
        """Mean projection over every model pair (or only source model i / target model j)."""
        return float(np.mean([_projection(embedding, s, t) for i, s in enumerate(self.source_models)
                              for j, t in enumerate(self.target_models)
                              if source_model in (None, i) and target_model in (None, j)]))

    def to_json(self) -> dict[str, float | int]:
        return {"start": self.start, "end": self.end, "n_source": len(self.source_models),
                "n_target": len(self.target_models)}


@dataclass(frozen=True)
class IdentityShift:
    """Where an edited voice sits between source S and target T.

    `calibrated`: 0 for an unedited clip of S and 1 for one of T in expectation (ShiftScale; None without
    one). `projection` (raw): (e - s).(t - s) / |t - s|^2 on unit embeddings and full centroids; a single
    clip of S does not sit at S's centroid, so it scores above 0 (and one of T below 1).
    `cosine_share`: (cos(e,T) - baseline) / (1 - baseline), the share of the cosine gap to T that was closed
    (it also counts moves off the line). `baseline`: cos(S, T), how alike S and T were to begin with.
    """

    projection: float
    cosine_share: float
    baseline: float
    calibrated: float | None = None


def _projection(edited: np.ndarray, source: np.ndarray, target: np.ndarray) -> float:
    e, s, t = unit(edited), unit(source), unit(target)
    direction = t - s
    return float(np.dot(e - s, direction) / np.dot(direction, direction))


def shift_scale(source_clips: np.ndarray, target_clips: np.ndarray) -> ShiftScale:
    """Calibrate the shift between two speakers from their reference clips (see ShiftScale). A speaker with
    one clip has no leave-one-out model: that clip is its model and its end stays at the raw 0 (source) or
    1 (target), exact only for that very clip (e.g. the plain run a steering sweep is compared with)."""
    source_clips, target_clips = np.asarray(source_clips), np.asarray(target_clips)

    def leave_one_out(clips: np.ndarray) -> tuple[np.ndarray, ...]:
        if len(clips) < 2:
            return (centroid(clips),)
        return tuple(centroid(np.delete(clips, i, axis=0)) for i in range(len(clips)))

    scale = ShiftScale(leave_one_out(source_clips), leave_one_out(target_clips), 0.0, 1.0)
    start = float(np.mean([scale.place(c, source_model=i) for i, c in enumerate(source_clips)]))
    end = float(np.mean([scale.place(c, target_model=j) for j, c in enumerate(target_clips)]))
    if end - start < MIN_SHIFT_SPAN:
        raise BadInputError(f"the verifier barely tells source from target clips (unedited source clips land at "
                            f"{start:.3f}, target clips at {end:.3f} on the raw projection); the shift is undefined")
    return ShiftScale(scale.source_models, scale.target_models, start, end)


def identity_shift(edited: np.ndarray, source: np.ndarray, target: np.ndarray,
                   scale: ShiftScale | None = None) -> IdentityShift:
    """Identity shift of an edited embedding from the source centroid toward the target centroid."""
    s, t = unit(source), unit(target)
    baseline = float(np.dot(s, t))
    if 1.0 - baseline < 1e-6:
        raise BadInputError(f"source and target speakers have the same embedding (cosine {baseline:.6f}); an "
                            "identity shift between them is undefined")
    projection = _projection(edited, s, t)
    share = (float(np.dot(unit(edited), t)) - baseline) / (1.0 - baseline)
    calibrated = None if scale is None else (scale.place(edited) - scale.start) / (scale.end - scale.start)
    return IdentityShift(projection, share, baseline, calibrated)


def _error_rates(target: np.ndarray, nontarget: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Thresholds (every score, ascending, then +inf) with the false-accept and false-reject rate at each.

    A trial is accepted when its score >= the threshold.
    """
    thresholds = np.append(np.unique(np.concatenate([target, nontarget])), np.inf)
    far = 1.0 - np.searchsorted(np.sort(nontarget), thresholds, side="left") / len(nontarget)
    frr = np.searchsorted(np.sort(target), thresholds, side="left") / len(target)
    return thresholds, far, frr


def _check_trials(scores: Sequence[float], labels: Sequence[bool]) -> tuple[np.ndarray, np.ndarray]:
    scores_arr, labels_arr = np.asarray(scores, dtype=np.float64), np.asarray(labels, dtype=bool)
    if scores_arr.shape != labels_arr.shape or scores_arr.ndim != 1:
        raise BadInputError(f"trial scores {scores_arr.shape} and labels {labels_arr.shape} must be 1-D and alike")
    target, nontarget = scores_arr[labels_arr], scores_arr[~labels_arr]
    if len(target) == 0 or len(nontarget) == 0:
        raise BadInputError(f"EER needs target and non-target trials; got {len(target)} target and "
                            f"{len(nontarget)} non-target")
    return target, nontarget


def eer(scores: Sequence[float], labels: Sequence[bool]) -> tuple[float, float]:
    """Equal error rate and its threshold from trial scores and labels (True = same speaker).

    Walks the thresholds upward to where the false-reject rate first reaches the false-accept rate and
    interpolates linearly between that threshold and the one before it.
    """
    thresholds, far, frr = _error_rates(*_check_trials(scores, labels))
    k = int(np.argmax(frr >= far))
    if frr[k] == far[k] or k == 0:
        return float(far[k]), float(thresholds[k])
    gap_before, gap_at = far[k - 1] - frr[k - 1], far[k] - frr[k]
    a = gap_before / (gap_before - gap_at)
    rate = far[k - 1] + a * (far[k] - far[k - 1])
    upper = thresholds[k] if np.isfinite(thresholds[k]) else thresholds[k - 1]
    return float(rate), float(thresholds[k - 1] + a * (upper - thresholds[k - 1]))


def min_dcf(scores: Sequence[float], labels: Sequence[bool], p_target: float = P_TARGET,
            c_miss: float = 1.0, c_fa: float = 1.0) -> float:
    """Minimum normalised detection cost over all thresholds (NIST SRE definition)."""
    _, far, frr = _error_rates(*_check_trials(scores, labels))
    cost = c_miss * frr * p_target + c_fa * far * (1.0 - p_target)
    return float(cost.min() / min(c_miss * p_target, c_fa * (1.0 - p_target)))


def summary(values: Sequence[float], denominators: Sequence[float] | None = None, seed: int = 0) -> dict:
    """{n, value, ci95, ci_method} for a mean of `values` (t interval) or the ratio sum(values)/sum(denominators)
    (percentile bootstrap over items)."""
    vals = np.asarray(values, dtype=np.float64)
    if len(vals) == 0:
        return {"n": 0, "value": None, "ci95": None, "no_ci_reason": "no items"}
    value = float(vals.mean()) if denominators is None else float(vals.sum() / max(np.sum(denominators), 1e-12))
    if len(vals) < 2:
        return {"n": int(len(vals)), "value": value, "ci95": None, "no_ci_reason": f"fewer than 2 items (n={len(vals)})"}
    if denominators is None:
        _, low, high = mean_ci(vals)
        method = "t"
    else:
        _, low, high = bootstrap_ci(vals, N_BOOT, seed=seed, denominators=denominators)
        method = "bootstrap"
    return {"n": int(len(vals)), "value": value, "ci95": (float(low), float(high)), "ci_method": method}


@dataclass(frozen=True)
class EditCounts:
    """Edit-distance counts of one hypothesis against its reference, already normalised."""

    word_errors: int
    words: int
    char_errors: int
    chars: int

    @property
    def wer(self) -> float:
        return self.word_errors / self.words

    @property
    def cer(self) -> float:
        return self.char_errors / self.chars


def edit_counts(reference: str, hypothesis: str) -> EditCounts:
    """Word and character edit counts (substitutions + deletions + insertions) between normalised texts."""
    import jiwer

    if not reference.strip():
        raise BadInputError("the reference text is empty after normalisation; WER is undefined")
    words, chars = len(reference.split()), len(reference)
    if not hypothesis.strip():
        return EditCounts(words, words, chars, chars)
    w = jiwer.process_words(reference, hypothesis)
    c = jiwer.process_characters(reference, hypothesis)
    return EditCounts(w.substitutions + w.deletions + w.insertions, words,
                      c.substitutions + c.deletions + c.insertions, chars)
