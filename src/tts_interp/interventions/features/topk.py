"""Streaming per-unit top-k (largest and most negative) over any number of frames, in bounded memory.

Frames are named by a global id `clip_index * FRAMES_PER_CLIP + frame`, so the tracker keeps only
(units, k) values and ids, whatever the corpus size.
"""

from __future__ import annotations

import torch

FRAMES_PER_CLIP = 1 << 16


class TopK:
    """The k largest values per unit seen so far, with the frame ids that produced them."""

    def __init__(self, units: int, k: int):
        self.values = torch.full((units, k), float("-inf"))
        self.ids = torch.full((units, k), -1, dtype=torch.long)

    def update(self, acts: torch.Tensor, ids: torch.Tensor) -> None:
        """acts (n, units); ids (n,) global frame ids."""
        if acts.numel() == 0:
            return
        k = self.values.shape[1]
        values = torch.cat([self.values, acts.T.float()], dim=1)
        frame_ids = torch.cat([self.ids, ids.expand(acts.shape[1], -1)], dim=1)
        top = values.topk(min(k, values.shape[1]), dim=1)
        self.values, self.ids = top.values, frame_ids.gather(1, top.indices)


class UnitStats:
    """Top-k positive and negative frames per unit, and activation density (share of frames > threshold)."""

    def __init__(self, units: int, k: int, threshold: float = 0.0):
        self.positive, self.negative = TopK(units, k), TopK(units, k)
        self.active = torch.zeros(units, dtype=torch.long)
        self.frames = 0
        self.threshold = threshold

    def update(self, acts: torch.Tensor, clip_index: int) -> None:
        ids = clip_index * FRAMES_PER_CLIP + torch.arange(acts.shape[0])
        self.positive.update(acts, ids)
        self.negative.update(-acts, ids)
        self.active += (acts > self.threshold).sum(0)
        self.frames += acts.shape[0]

    def density(self) -> torch.Tensor:
        return self.active.double() / max(self.frames, 1)


def split_id(frame_id: int) -> tuple[int, int]:
    """(clip index, frame) of a global frame id."""
    return frame_id // FRAMES_PER_CLIP, frame_id % FRAMES_PER_CLIP
