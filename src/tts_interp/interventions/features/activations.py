"""Streaming encoder activations over a corpus, batch by batch, with the 30 s window's padding cut off.

Each clip comes back with its real frames only (`valid` of them, 20 ms each) at every requested site, plus
the phoneme and word under each frame when the clip has alignments. Optional `unit_fns` turn a site's rows
into unit activations (identity for neurons, an SAE's encoder for features).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from tts_interp.data.alignments import frame_labels
from tts_interp.interventions.features.corpus import Clip
from tts_interp.models.whisper.sites import FRAME_SECONDS

FRAME_RATE = 1.0 / FRAME_SECONDS


@dataclass
class ClipActivations:
    """One clip's activations at each site: (valid, dim) float32 tensors, real frames only."""

    index: int
    clip: Clip
    valid: int
    acts: dict[str, torch.Tensor]

    def phonemes(self) -> list[str | None]:
        return frame_labels(list(self.clip.phones), self.valid, FRAME_RATE) if self.clip.phones else [None] * self.valid

    def words(self) -> list[str | None]:
        return frame_labels(list(self.clip.words), self.valid, FRAME_RATE) if self.clip.words else [None] * self.valid


def clip_batches(clips: Iterable[Clip], size: int) -> Iterator[list[tuple[int, Clip]]]:
    batch: list[tuple[int, Clip]] = []
    for index, clip in enumerate(clips):
        batch.append((index, clip))
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def stream_activations(adapter, clips: Iterable[Clip], sites: Sequence[str], batch_size: int = 8,  # noqa: ANN001
                       edits: dict[str, Callable] | None = None,
                       on_batch: Callable[[int], None] | None = None) -> Iterator[ClipActivations]:
    """Run the encoder on `clips` in batches; yield each clip's real-frame activations at `sites`."""
    for batch in clip_batches(clips, batch_size):
        features, valid = adapter.features([c.audio for _, c in batch])
        _, saved = adapter.run_encoder(features, reads=list(sites), edits=edits)
        for row, ((index, clip), n) in enumerate(zip(batch, valid, strict=True)):
            yield ClipActivations(index, clip, n, {s: saved[s][row, :n].float() for s in sites})
        if on_batch:
            on_batch(len(batch))


def padding_mask(valid: int, total: int) -> np.ndarray:
    """True on the frames of a 30 s window that are padding (frame index >= valid)."""
    return np.arange(total) >= valid
