"""Linear probes with statistics that hold up: utterance-level splits, permutation nulls, bootstrap CIs and a
control task (Hewitt and Liang, 2019).

Frames of one utterance are not independent, so every resampling works on whole utterances: the split puts
each utterance wholly in train or test; the bootstrap resamples test utterances; the permutation null either
permutes utterance labels among test utterances (speaker) or circularly shifts each test utterance's label
sequence (frame-level labels: phoneme, pitch), which keeps their autocorrelation and breaks only alignment.
Phoneme and pitch probes train and test on different speakers (`split_speakers`), so speaker identity cannot
carry them. The control task gives each *type* (an utterance for speaker; a code value for frame tasks) one
fixed random label drawn from the task's label distribution: a probe can memorise it, so a high score on
the real labels only means something when it beats the control (selectivity).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from tts_interp.core.stats import (
    cluster_bootstrap,
    distinct_relabellings,
    percentile_interval,
    permutation_p_value,
    smallest_p,
)

Kind = Literal["classification", "regression"]
NullScheme = Literal["utterance", "rotation"]


@dataclass(frozen=True)
class Split:
    """Which utterances train and which test a probe; speakers that could not be split, with reasons."""

    train: frozenset[str]
    test: frozenset[str]
    unsplittable: tuple[dict[str, str], ...]
    seed: int
    test_fraction: float

    def as_dict(self) -> dict[str, object]:
        return {
            "seed": self.seed,
            "test_fraction": self.test_fraction,
            "train": sorted(self.train),
            "test": sorted(self.test),
            "unsplittable": list(self.unsplittable),
        }


def split_utterances(
    utt_ids: Sequence[str], speakers: Sequence[str], test_fraction: float, seed: int
) -> Split:
    """Stratified by speaker: each speaker with >= 2 utterances gives round(n * test_fraction) of them
    (at least 1, at most n-1) to test. A speaker with one utterance cannot be in both halves: it goes to
    train and is listed as unsplittable.
    """
    rng = np.random.default_rng(seed)
    by_speaker: dict[str, list[str]] = defaultdict(list)
    for utt, speaker in zip(utt_ids, speakers, strict=True):
        by_speaker[speaker].append(utt)
    train, test, unsplittable = set(), set(), []
    for speaker in sorted(by_speaker):
        utts = sorted(by_speaker[speaker])
        if len(utts) < 2:
            train.update(utts)
            unsplittable.append(
                {
                    "item": speaker,
                    "reason": f"speaker {speaker!r} has only one utterance "
                    f"({utts[0]}); it cannot be split into train and test",
                }
            )
            continue
        order = [utts[i] for i in rng.permutation(len(utts))]
        n_test = min(len(utts) - 1, max(1, round(len(utts) * test_fraction)))
        test.update(order[:n_test])
        train.update(order[n_test:])
    return Split(frozenset(train), frozenset(test), tuple(unsplittable), seed, test_fraction)


def split_speakers(utt_ids: Sequence[str], speakers: Sequence[str], test_fraction: float, seed: int) -> Split:
    """Speaker-disjoint: round(n_speakers * test_fraction) whole speakers (at least 1, at most n-1) test, the
    rest train. With fewer than two speakers nothing can be tested; that is listed as unsplittable."""
    names = sorted(set(speakers))
    if len(names) < 2:
        reason = f"{len(names)} speaker(s): a speaker-disjoint split needs two or more"
        return Split(frozenset(utt_ids), frozenset(), ({"item": "speaker-disjoint split", "reason": reason},),
                     seed, test_fraction)
    order = [names[i] for i in np.random.default_rng(seed).permutation(len(names))]
    tested = set(order[: min(len(names) - 1, max(1, round(len(names) * test_fraction)))])
    test = frozenset(u for u, s in zip(utt_ids, speakers, strict=True) if s in tested)
    return Split(frozenset(utt_ids) - test, test, (), seed, test_fraction)


@dataclass
class ProbeTask:
    """Frame-level samples of one task: targets, the utterance of each frame, and which frames train."""

    name: str
    kind: Kind
    null: NullScheme
    targets: np.ndarray  # class ids (int) or values (float), one per frame
    groups: np.ndarray  # utterance index per frame
    train: np.ndarray  # bool per frame
    classes: tuple[str, ...] = ()


def _scores(kind: Kind, y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """Accuracy and macro-F1 (over the classes present in y_true), or R^2 and MAE; plain numpy because the
    permutation and bootstrap loops call this thousands of times."""
    if kind == "classification":
        size = int(max(y_true.max(), y_pred.max())) + 1
        hits = np.bincount(y_true[y_true == y_pred], minlength=size).astype(float)
        support = np.bincount(y_true, minlength=size).astype(float)
        predicted = np.bincount(y_pred, minlength=size).astype(float)
        present = support > 0
        f1 = 2 * hits[present] / (support[present] + predicted[present])
        return {"accuracy": float(hits.sum() / len(y_true)), "macro_f1": float(f1.mean())}
    residual = np.sum((y_true - y_pred) ** 2)
    total = np.sum((y_true - y_true.mean()) ** 2)
    return {
        "r2": float(1 - residual / total) if total > 0 else float("nan"),
        "mae": float(np.mean(np.abs(y_true - y_pred))),
    }


PRIMARY = {"classification": "macro_f1", "regression": "r2"}


def _fit_predict(
    kind: Kind, x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, seed: int
) -> np.ndarray:
    """Standardise on train, fit a linear probe, predict test. BLAS runs single-threaded: probes are small
    and multi-threaded BLAS on them was seen 5-10x slower on a busy 2-core machine."""
    with threadpool_limits(1):
        return _fit_predict_unlimited(kind, x_train, y_train, x_test, seed)


def _fit_predict_unlimited(
    kind: Kind, x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, seed: int
) -> np.ndarray:
    scaler = StandardScaler().fit(x_train)
    if kind == "classification":
        model = LogisticRegression(max_iter=300, C=1.0, random_state=seed)
    else:
        model = Ridge(alpha=1.0)
    model.fit(scaler.transform(x_train), y_train)
    return model.predict(scaler.transform(x_test))


def _null_labels(task: ProbeTask, y: np.ndarray, groups: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One draw of test labels under the null of no relation between features and labels."""
    out = y.copy()
    members = [np.flatnonzero(groups == g) for g in np.unique(groups)]
    if task.null == "utterance":
        donors = rng.permutation(len(members))
        for rows, donor in zip(members, donors, strict=True):
            out[rows] = y[members[donor][0]]
    else:
        for rows in members:
            out[rows] = np.roll(y[rows], int(rng.integers(len(rows))))
    return out


def _subsample(rows: np.ndarray, limit: int, rng: np.random.Generator) -> np.ndarray:
    return rows if len(rows) <= limit else np.sort(rng.choice(rows, size=limit, replace=False))


def _control_scores(task: ProbeTask, features: np.ndarray, train_rows: np.ndarray, test_rows: np.ndarray,
                    types: np.ndarray | None, seed: int, rng: np.random.Generator,
                    scores: dict[str, float]) -> dict[str, float]:
    """The same probe on the control task (one random label per utterance or code value)."""
    control_targets = _control_targets(task, task.groups if task.null == "utterance" else types, rng)
    if task.kind == "classification" and len(np.unique(control_targets[train_rows])) < 2:
        return {metric: float("nan") for metric in scores}  # the draw gave the few train units one label
    control_pred = _fit_predict(task.kind, features[train_rows], control_targets[train_rows], features[test_rows],
                                seed)
    return _scores(task.kind, control_targets[test_rows], control_pred)


def evaluate(
    task: ProbeTask,
    features: np.ndarray,
    seed: int,
    n_permutations: int = 200,
    n_bootstrap: int = 200,
    max_train_frames: int = 20000,
    types: np.ndarray | None = None,
) -> dict[str, object]:
    """Fit the probe on train frames, score test frames; add a permutation p-value, a 95% bootstrap CI over
    test utterances, and the same probe on the control task for selectivity. `types` (one per frame, e.g.
    the code value) are the control task's types for frame-level tasks; utterances for utterance tasks.
    """
    rng = np.random.default_rng(seed)
    train_rows = _subsample(np.flatnonzero(task.train), max_train_frames, rng)
    test_rows = np.flatnonzero(~task.train)
    y_train, y_test, groups = task.targets[train_rows], task.targets[test_rows], task.groups[test_rows]
    pred = _fit_predict(task.kind, features[train_rows], y_train, features[test_rows], seed)
    scores = _scores(task.kind, y_test, pred)
    primary = PRIMARY[task.kind]

    null = [_scores(task.kind, _null_labels(task, y_test, groups, rng), pred) for _ in range(n_permutations)]
    p_value = permutation_p_value(scores[primary], [n[primary] for n in null])
    unit_labels = [y_test[groups == g][0] for g in np.unique(groups)]
    min_p = smallest_p(n_permutations, distinct_relabellings(unit_labels) if task.null == "utterance" else np.inf)
    chance = {metric: float(np.mean([n[metric] for n in null])) for metric in scores}

    utterances = np.unique(groups)

    def resampled(rows: np.ndarray) -> dict[str, float] | None:
        if task.kind == "regression" and len(np.unique(y_test[rows])) < 2:
            return None
        return _scores(task.kind, y_test[rows], pred[rows])

    boot = cluster_bootstrap(groups, resampled, n_bootstrap, rng)
    ci = {metric: [float(v) for v in percentile_interval([b[metric] for b in boot])] for metric in scores} if boot else {}

    control = _control_scores(task, features, train_rows, test_rows, types, seed, rng, scores)
    return {
        **scores,
        "chance": chance,
        "p_value": p_value,
        "min_p": min_p,
        "significance_attainable": min_p < 0.05,
        "ci95": ci,
        "control": control,
        "selectivity": {metric: scores[metric] - control[metric] for metric in scores if metric != "mae"},
        "n_train_frames": int(len(train_rows)),
        "n_test_frames": int(len(test_rows)),
        "n_test_utterances": int(len(utterances)),
        "p_value_holds_fixed": "the fitted probe and its test predictions; test labels are "
        + ("permuted across test utterances" if task.null == "utterance"
           else "circularly shifted within each test utterance"),
        "ci95_resamples": "test utterances, with the fitted probe held fixed (training variation not included)",
        "control_task": "one random label per " + ("utterance" if task.null == "utterance" else "code value")
        + " from the label distribution (Hewitt and Liang, 2019)",
    }


def _control_targets(task: ProbeTask, types: np.ndarray | None, rng: np.random.Generator) -> np.ndarray:
    """Control labels: each type gets one label drawn from the task's label distribution, fixed for every
    frame of that type (train and test alike), so it can be memorised but carries no real information."""
    if types is None:
        raise ValueError(f"task {task.name!r}: a frame-level control task needs the frames' types (code values)")
    kinds, inverse = np.unique(types, return_inverse=True)
    return task.targets[rng.integers(0, len(task.targets), size=len(kinds))][inverse]
