"""Phoneme purity and selectivity of units, from the known phoneme under every frame.

Purity: the share of a unit's top-k frames whose phoneme is the most common one among them, tested against
that phoneme's base rate over all labelled frames (one-sided binomial p). Selectivity: the AUC of the unit's
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
    p_value: float | None
    auc: float | None  # selectivity for top_class; chance 0.5
    distribution: dict[str, int]


def _auc(scores: np.ndarray, positive: np.ndarray) -> float | None:
    from scipy.stats import rankdata

    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        return None
    ranks = rankdata(scores)
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def unit_purity(unit: int, top_labels: list[str | None], frames: np.ndarray, codes: np.ndarray,
                vocab: dict[str, int]) -> Purity:
    """Purity of one unit from the labels of its top-k frames; AUC from every labelled frame's activation."""
    from scipy.stats import binom

    labelled = [x for x in top_labels if x is not None]
    counts = Counter(labelled)
    if not labelled or len(codes) == 0:
        return Purity(unit, len(labelled), None, None, None, None, None, dict(counts))
    top_class, hits = counts.most_common(1)[0]
    positive = codes == vocab.get(top_class, -1)
    base = float(positive.mean())
    p_value = float(binom.sf(hits - 1, len(labelled), base)) if base > 0 else None
    return Purity(unit, len(labelled), top_class, hits / len(labelled), base, p_value,
                  _auc(frames[:, unit], positive), dict(counts.most_common()))


def purest(rows: list[Purity], n: int, min_labelled: int) -> list[Purity]:
    """The `n` purest units with at least `min_labelled` labelled top frames (ties broken by AUC)."""
    eligible = [r for r in rows if r.purity is not None and r.n_labelled >= min_labelled]
    return sorted(eligible, key=lambda r: (r.purity, r.auc or 0.0), reverse=True)[:n]
