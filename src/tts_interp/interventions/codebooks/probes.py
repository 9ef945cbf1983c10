"""Probing each RVQ codebook for speaker, phoneme and pitch.

Feature sets: codebook k alone (its codes embedded with its own vectors, as its decoder layer emits them)
and codebooks 0..k together (the decoder's partial quantiser sum: each codebook's projected contribution,
summed). One utterance-level split, stratified by speaker, serves every task; it and the seed are saved.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tts_interp.codecs.base import RVQCodec
from tts_interp.codecs.store import CodesCache, EncodedUtterance
from tts_interp.core.audio import load_audio
from tts_interp.core.errors import TTSInterpError, UnknownNameError
from tts_interp.core.results import write_result
from tts_interp.core.stats import benjamini_hochberg
from tts_interp.data.alignments import frame_labels, read_alignment
from tts_interp.data.pitch import PYIN_SR, frame_f0
from tts_interp.interventions.codebooks.probing import (
    ProbeTask,
    Split,
    evaluate,
    split_speakers,
    split_utterances,
)

TASKS = ("speaker", "phoneme", "pitch")


@dataclass(frozen=True)
class FeatureSet:
    """One probe input: codebook `k` alone ("single") or codebooks 0..k summed ("cumulative")."""

    mode: str
    codebook: int

    @property
    def name(self) -> str:
        return f"codebook {self.codebook}" if self.mode == "single" else f"codebooks 0-{self.codebook}"


def feature_sets(n_codebooks: int, cumulative: bool = True) -> list[FeatureSet]:
    sets = [FeatureSet("single", k) for k in range(n_codebooks)]
    return sets + ([FeatureSet("cumulative", k) for k in range(n_codebooks)] if cumulative else [])


class CodebookFeatures:
    """Frame features from codes via a codec's lookup tables (cumulative sums built incrementally)."""

    def __init__(
        self, codes: np.ndarray, own: Callable[[int], np.ndarray], projected: Callable[[int], np.ndarray]
    ):
        self.codes, self.own, self.projected = codes, own, projected
        self._running: tuple[int, np.ndarray] | None = None

    def __call__(self, feature_set: FeatureSet) -> np.ndarray:
        k = feature_set.codebook
        if feature_set.mode == "single":
            return self.own(k)[self.codes[:, k]]
        start, total = (
            self._running
            if self._running and self._running[0] == k - 1
            else (-1, np.zeros((len(self.codes), self.projected(0).shape[1]), dtype=np.float32))
        )
        for j in range(start + 1, k + 1):
            total = total + self.projected(j)[self.codes[:, j]]
        self._running = (k, total)
        return total

    @classmethod
    def from_codec(cls, codes: np.ndarray, codec: RVQCodec) -> CodebookFeatures:
        return cls(
            codes, lambda k: codec.codebook_table(k).numpy(), lambda k: codec.contribution_table(k).numpy()
        )


def _frame_pitch(
    item: EncodedUtterance, frame_rate: float, cache: CodesCache | None
) -> tuple[np.ndarray, np.ndarray]:
    name = f"f0_{frame_rate:g}hz"
    stored = cache.get(item.key) if cache is not None else {}
    if name in stored:
        return stored[name], stored[f"voiced_{frame_rate:g}hz"].astype(bool)
    audio = load_audio(item.utterance.path, PYIN_SR)
    f0, voiced = frame_f0(audio.samples, len(item.codes), frame_rate)
    if cache is not None:
        cache.update(item.key, **{name: f0, f"voiced_{frame_rate:g}hz": voiced})
    return f0, voiced


PerItem = list[tuple[int, np.ndarray, np.ndarray]]  # (item index, its frames with a target, the targets)


def _speaker_targets(items: Sequence[EncodedUtterance], unsplit: set[str]) -> tuple[PerItem, tuple[str, ...]]:
    """Every frame of an utterance labelled with its speaker (speakers the split could place only)."""
    speakers = sorted({i.utterance.speaker for i in items} - unsplit)
    index = {s: n for n, s in enumerate(speakers)}
    per_item = [(n, np.arange(len(i.codes)), np.full(len(i.codes), index[i.utterance.speaker]))
                for n, i in enumerate(items) if i.utterance.speaker in index]
    return per_item, tuple(speakers)


def _phoneme_targets(items: Sequence[EncodedUtterance], frame_rate: float,
                     skipped: list[dict[str, str]]) -> tuple[PerItem, tuple[str, ...]]:
    """The phoneme under each frame, from each utterance's alignment (frames between phonemes have none)."""
    per_item_labels = []
    for n, item in enumerate(items):
        if item.utterance.alignment is None:
            continue
        try:
            labels = frame_labels(read_alignment(item.utterance.alignment), len(item.codes), frame_rate)
        except TTSInterpError as exc:
            skipped.append({"item": item.utterance.utt_id, "reason": f"phoneme task: {exc}"})
            continue
        per_item_labels.append((n, labels))
    phones = sorted({lab for _, labels in per_item_labels for lab in labels if lab is not None})
    index = {p: k for k, p in enumerate(phones)}
    per_item = [(n, np.array([f for f, lab in enumerate(labels) if lab is not None], dtype=int),
                 np.array([index[lab] for lab in labels if lab is not None], dtype=int))
                for n, labels in per_item_labels if any(lab is not None for lab in labels)]
    return per_item, tuple(phones)


def _pitch_targets(items: Sequence[EncodedUtterance], frame_rate: float, cache: CodesCache | None,
                   skipped: list[dict[str, str]], progress: Callable[[int], None] | None) -> PerItem:
    """F0 (Hz) of each voiced frame of utterances with at least two voiced frames."""
    per_item = []
    for n, item in enumerate(items):
        try:
            f0, voiced = _frame_pitch(item, frame_rate, cache)
        except TTSInterpError as exc:
            skipped.append({"item": item.utterance.utt_id, "reason": f"pitch task: {exc}"})
            continue
        if progress:
            progress(1)
        if voiced.sum() >= 2:
            per_item.append((n, np.flatnonzero(voiced), f0[voiced].astype(np.float64)))
    return per_item


def _assemble(name: str, kind: str, null: str, per_item: PerItem, classes: tuple[str, ...], offsets: np.ndarray,
              train_of_item: np.ndarray) -> tuple[ProbeTask, np.ndarray] | str:
    """A task over the concatenated frames, or why it cannot be probed."""
    if not per_item:
        return "no utterance has targets for it"
    rows = np.concatenate([offsets[i] + local for i, local, _ in per_item])
    groups = np.concatenate([np.full(len(local), i) for i, local, _ in per_item])
    targets = np.concatenate([t for _, _, t in per_item])
    train = train_of_item[groups]
    if train.all() or not train.any():
        return "the split left no test or no train frames"
    if kind == "classification" and len(np.unique(targets[train])) < 2:
        return "fewer than two classes among training frames"
    return ProbeTask(name, kind, null, targets, groups, train, classes), rows


def build_tasks(
    items: Sequence[EncodedUtterance],
    split: Split,
    tasks: Sequence[str],
    frame_rate: float,
    cache: CodesCache | None = None,
    progress: Callable[[int], None] | None = None,
    frame_split: Split | None = None,
) -> tuple[dict[str, tuple[ProbeTask, np.ndarray]], list[dict[str, str]]]:
    """Targets per task over the frames that have one; returns {task: (ProbeTask, frame rows)}, skipped.
    The speaker task uses `split`; phoneme and pitch use `frame_split` (speaker-disjoint) if given."""
    for task in tasks:
        if task not in TASKS:
            raise UnknownNameError("probe task", task, TASKS)
    offsets = np.cumsum([0] + [len(i.codes) for i in items])
    train_utt = np.array([i.utterance.utt_id in split.train for i in items])
    frame_train = np.array([i.utterance.utt_id in (frame_split or split).train for i in items])
    skipped: list[dict[str, str]] = []
    built: dict[str, tuple[ProbeTask, np.ndarray]] = {}

    def add(name: str, kind: str, null: str, per_item: PerItem, classes: tuple[str, ...], train: np.ndarray) -> None:
        task = _assemble(name, kind, null, per_item, classes, offsets, train)
        if isinstance(task, str):
            skipped.append({"item": f"task {name}", "reason": task})
        else:
            built[name] = task

    if "speaker" in tasks:
        add("speaker", "classification", "utterance",
            *_speaker_targets(items, {u["item"] for u in split.unsplittable}), train_utt)
    if "phoneme" in tasks:
        add("phoneme", "classification", "rotation", *_phoneme_targets(items, frame_rate, skipped), frame_train)
    if "pitch" in tasks:
        add("pitch", "regression", "rotation", _pitch_targets(items, frame_rate, cache, skipped, progress), (),
            frame_train)
    return built, skipped


def run_probes(
    codec: RVQCodec,
    items: Sequence[EncodedUtterance],
    out_dir: Path,
    tasks: Sequence[str] = TASKS,
    seed: int = 0,
    test_fraction: float = 0.3,
    n_permutations: int = 200,
    n_bootstrap: int = 200,
    max_train_frames: int = 20000,
    cumulative: bool = True,
    cache: CodesCache | None = None,
    prior_skipped: Sequence[dict[str, str]] = (),
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Probe every feature set for every task; result.json is rewritten after each probe (nothing lost)."""
    split = split_utterances(
        [i.utterance.utt_id for i in items], [i.utterance.speaker for i in items], test_fraction, seed
    )
    frame_split = split_speakers(
        [i.utterance.utt_id for i in items], [i.utterance.speaker for i in items], test_fraction, seed
    )
    built, skipped = build_tasks(items, split, tasks, codec.frame_rate, cache, frame_split=frame_split)
    codes = np.concatenate([i.codes for i in items]) if items else np.zeros((0, codec.n_codebooks), np.int64)
    features = CodebookFeatures.from_codec(codes, codec)
    settings = {"tasks": list(tasks), "test_fraction": test_fraction, "n_permutations": n_permutations,
                "n_bootstrap": n_bootstrap, "max_train_frames": max_train_frames, "cumulative": cumulative}
    result: dict[str, Any] = {
        "command": "codes probe", "codec": codec.describe(), "seed": seed, "settings": settings,
        "split": split.as_dict(),
        "split_note": "speaker: utterance-level split stratified by speaker; phoneme and pitch: the "
        "speaker-disjoint split_phoneme_pitch (speaker identity cannot carry them)",
        "split_phoneme_pitch": frame_split.as_dict(), "n_utterances": len(items),
        "tasks": {name: {"kind": task.kind, "classes": list(task.classes), "results": []}
                  for name, (task, _) in built.items()},
        "skipped": list(prior_skipped) + list(split.unsplittable) + list(frame_split.unsplittable) + skipped,
    }
    write_result(out_dir, result)
    for feature_set in feature_sets(codec.n_codebooks, cumulative):
        x_all = features(feature_set)
        for name, (task, rows) in built.items():
            scores = evaluate(task, x_all[rows], seed, n_permutations, n_bootstrap, max_train_frames,
                              types=codes[rows, feature_set.codebook])
            result["tasks"][name]["results"].append({"features": feature_set.name, "mode": feature_set.mode,
                                                     "codebook": feature_set.codebook, **scores})
            write_result(out_dir, result)
            if progress:
                progress(1)
    for task_result in result["tasks"].values():
        rows = task_result["results"]
        for row, q_value in zip(rows, benjamini_hochberg([r["p_value"] for r in rows]), strict=True):
            row["q_value_bh"] = q_value
    write_result(out_dir, result)
    return result
