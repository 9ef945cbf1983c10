"""Phoneme purity and selectivity of units, from the known phoneme under every frame.

Purity: the share of a unit's top-k frames whose phoneme is the most common one among them; chance is that
phoneme's base rate over all labelled frames. Its p-value tests whether any phoneme is over-represented among the
top frames (the largest binomial z of a phoneme's count against its base rate, so picking the top phoneme is
part of the statistic) and clusters by clip: adjacent 20 ms frames share a phoneme, so a binomial test over
frames (as if independent) gives p far too small. The null shifts each clip's phoneme sequence circularly by a
random offset (one per clip, so frames of one clip move together and the sequences keep their runs) and relabels
the unit's top frames; p = (1 + nulls >= observed) / (1 + shifts), never below 1 / (1 + shifts). Shifts stop
once 10 of them reach the observed value (a sequential test: most units are decided in 100 shifts). Selectivity: the AUC of the unit's
activation for frames of that phoneme against every other labelled frame (0.5 = chance). Frames of aligned
clips that fall in no phone are `sil`; frames of clips without an alignment carry no label and are skipped.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import torch

SILENCE = "sil"


class LabelledFrames:
    """Activations (float16) and phoneme codes of labelled frames, up to `max_frames` (the first ones kept)."""

    def __init__(self, max_frames: int):
        self.max_frames = max_frames
        self.vocab: dict[str, int] = {}
        self.acts: list[torch.Tensor] = []
        self.codes: list[np.ndarray] = []
        self.count = 0

    def code(self, label: str) -> int:
        return self.vocab.setdefault(label, len(self.vocab))

    def add(self, acts: torch.Tensor, labels: list[str]) -> None:
        room = self.max_frames - self.count
        if room <= 0 or not labels:
            return
        self.acts.append(acts[:room].half())
        self.codes.append(np.array([self.code(x) for x in labels[:room]], dtype=np.int32))
        self.count += min(room, len(labels))

    def matrix(self) -> tuple[np.ndarray, np.ndarray]:
        """(frames, units) float32 activations and (frames,) codes."""
        if not self.acts:
            return np.zeros((0, 0), np.float32), np.zeros(0, np.int32)
        return torch.cat(self.acts).float().numpy(), np.concatenate(self.codes)


@dataclass(frozen=True)
class Purity:
    """One unit's phoneme profile over its top-k frames."""

    unit: int
    n_labelled: int  # top-k frames that carry a label
    top_class: str | None
    purity: float | None
    base_rate: float | None  # share of top_class among all labelled frames: purity's chance level
    p_value: float | None  # circular-shift null clustered by clip (module docstring)
    auc: float | None  # selectivity for top_class; chance 0.5
    distribution: dict[str, int]
    min_p: float | None = None  # the smallest p the null can give
    n_clips: int = 0  # distinct clips among the labelled top frames (the independent units)


def _auc(scores: np.ndarray, positive: np.ndarray) -> float | None:
    from scipy.stats import rankdata

    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        return None
    ranks = rankdata(scores)
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def unit_purity(unit: int, top_labels: list[str | None], frames: np.ndarray, codes: np.ndarray,
                vocab: dict[str, int], null: np.ndarray | None = None, n_clips: int = 0) -> Purity:
    """Purity of one unit from the labels of its top-k frames, its p-value against `null` (the purities of the
    shifted relabellings, `shifted_purities`); AUC from every labelled frame's activation."""
    labelled = [x for x in top_labels if x is not None]
    counts = Counter(labelled)
    if not labelled or len(codes) == 0:
        return Purity(unit, len(labelled), None, None, None, None, None, dict(counts), n_clips=n_clips)
    top_class, hits = counts.most_common(1)[0]
    positive = codes == vocab.get(top_class, -1)
    purity = hits / len(labelled)
    p_value = min_p = None
    if null is not None and len(null):
        observed = largest_z(np.array([[vocab.get(x, -1) for x in labelled]]), base_rates(codes, len(vocab)))[0]
        p_value = float((1 + np.sum(null >= observed - 1e-9)) / (1 + len(null)))
        min_p = 1.0 / (1 + len(null))
    return Purity(unit, len(labelled), top_class, purity, float(positive.mean()), p_value,
                  _auc(frames[:, unit], positive), dict(counts.most_common()), min_p, n_clips)


def base_rates(codes: np.ndarray, n_classes: int) -> np.ndarray:
    """Each phoneme code's share of all labelled frames."""
    return np.bincount(codes, minlength=n_classes)[:n_classes] / max(len(codes), 1)


def largest_z(codes: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Per row of phoneme codes (-1: no label), the largest binomial z of a phoneme's count against its base
    rate: (count - n p) / sqrt(n p (1 - p)) over phonemes with 0 < p < 1."""
    rows, classes = codes.shape[0], len(base)
    flat = (codes + classes * np.arange(rows)[:, None])[codes >= 0]  # (row, phoneme) bins, unlabelled frames out
    counts = np.bincount(flat, minlength=rows * classes).reshape(rows, classes).astype(np.float64)
    n = (codes >= 0).sum(1, keepdims=True)
    p = np.clip(base, 1e-12, 1 - 1e-12)[None, :]
    z = (counts - n * p) / np.sqrt(np.maximum(n * p * (1 - p), 1e-12))
    z[:, (base <= 0) | (base >= 1)] = -np.inf
    return np.where(n[:, 0] > 0, z.max(1), -np.inf)


def sequential_null(places: np.ndarray, clip_codes: dict[int, np.ndarray], base: np.ndarray, observed: float,
                    shifts: int, rng: np.random.Generator, batch: int = 100, enough: int = 10) -> np.ndarray:
    """`shifted_scores` in batches, stopped once `enough` of them reach `observed` (Besag and Clifford's
    sequential Monte Carlo test: a unit that is plainly not selective needs no 999 shifts to show it, and its
    p = (1 + reached) / (1 + shifts done) stays above 10 / shifts done); at most `shifts`."""
    parts, reached = [], 0
    while sum(map(len, parts)) < shifts and reached < enough:
        part = shifted_scores(places, clip_codes, base, min(batch, shifts - sum(map(len, parts))), rng)
        parts.append(part)
        reached += int(np.sum(part >= observed - 1e-9))
    return np.concatenate(parts)


def shifted_scores(places: np.ndarray, clip_codes: dict[int, np.ndarray], base: np.ndarray, shifts: int,
                   rng: np.random.Generator) -> np.ndarray:
    """`largest_z` of the top frames at `places` ((k, 2): clip, frame) under `shifts` circular shifts of each
    clip's phoneme codes (`clip_codes[clip]`, -1 where a frame has no label); one random offset per clip."""
    codes = np.full((shifts, len(places)), -1, dtype=np.int64)
    for clip in np.unique(places[:, 0]):
        sequence = clip_codes.get(int(clip))
        if sequence is None or not len(sequence):
            continue
        mine = places[:, 0] == clip
        offsets = rng.integers(0, len(sequence), size=(shifts, 1))
        codes[:, mine] = sequence[(places[mine, 1][None, :] + offsets) % len(sequence)]
    return largest_z(codes, base)


def purest(rows: list[Purity], n: int, min_labelled: int) -> list[Purity]:
    """The `n` purest units with at least `min_labelled` labelled top frames (ties broken by AUC)."""
    eligible = [r for r in rows if r.purity is not None and r.n_labelled >= min_labelled]
    return sorted(eligible, key=lambda r: (r.purity, r.auc or 0.0), reverse=True)[:n]
