"""One streamed pass over a corpus at one site: per-unit top-k, density, phoneme and speech/noise profiles.

A unit is a neuron (the site's own channels) or an SAE feature (`unit_fn` = the SAE's encoder). Memory is
bounded: top-k tables, per-clip label codes, and at most `max_labelled` frames kept for the AUCs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import torch

from tts_interp.interventions.features.activations import stream_activations
from tts_interp.interventions.features.corpus import Clip
from tts_interp.interventions.features.purity import (
    SILENCE,
    LabelledFrames,
    Purity,
    base_rates,
    largest_z,
    sequential_null,
    unit_purity,
)
from tts_interp.interventions.features.topk import UnitStats, split_id
from tts_interp.models.whisper.sites import FRAME_SECONDS

SPEECH, NONSPEECH = "speech", "nonspeech"
SHIFTS = 999  # circular shifts per unit for the purity null: p can reach 0.001


@dataclass
class ScanResult:
    """What a pass found; frame ids decode to (clip index, frame) with `topk.split_id`."""

    site: str
    stats: UnitStats
    clip_ids: list[str] = field(default_factory=list)
    clip_kinds: list[str] = field(default_factory=list)
    clip_valid: list[int] = field(default_factory=list)
    phonemes: dict[int, list[str | None]] = field(default_factory=dict)
    words: dict[int, list[str | None]] = field(default_factory=dict)
    labelled: LabelledFrames | None = None  # phoneme-labelled frames (aligned clips)
    kinds: LabelledFrames | None = None  # frames labelled speech (a phone) / nonspeech (non-speech clips)
    padding_frames_excluded: int = 0

    def frame_label(self, frame_id: int) -> tuple[str, float, str | None, str | None, str]:
        """(clip id, time in s, phoneme, word, kind) of a global frame id."""
        clip, frame = split_id(frame_id)
        phones, words = self.phonemes.get(clip), self.words.get(clip)
        return (self.clip_ids[clip], round(frame * FRAME_SECONDS, 3), phones[frame] if phones else None,
                words[frame] if words else None, self.clip_kinds[clip])

    def purity(self, units: Iterable[int] | None = None, shifts: int = SHIFTS, seed: int = 0) -> list[Purity]:
        """Each unit's phoneme purity over its top-k frames, with its clip-clustered p (features/purity.py)."""
        frames, codes = self.labelled.matrix()
        vocab = self.labelled.vocab
        clip_codes = {clip: np.array([vocab.get(x, -1) if x is not None else -1 for x in labels])
                      for clip, labels in self.phonemes.items()}
        base = base_rates(codes, len(vocab))
        rng = np.random.default_rng(seed)
        result = []
        for unit in units if units is not None else range(self.stats.active.shape[0]):
            places = np.array([split_id(int(i)) for i in self.stats.positive.ids[unit] if i >= 0]).reshape(-1, 2)
            top = [self.frame_label(int(i))[2] for i in self.stats.positive.ids[unit] if i >= 0]
            labelled_clips = {int(c) for (c, _), x in zip(places, top, strict=True) if x is not None}
            labelled = np.array([[vocab.get(x, -1) for x in top if x is not None]])
            observed = largest_z(labelled, base)[0] if labelled.size else np.inf
            null = sequential_null(places, clip_codes, base, observed, shifts, rng)
            result.append(unit_purity(unit, top, frames, codes, vocab, null, len(labelled_clips)))
        return result

    def noise_selectivity(self) -> np.ndarray | None:
        """Per unit AUC of activation on non-speech frames vs phone frames (0.5 chance); None without both."""
        from scipy.stats import rankdata

        frames, codes = self.kinds.matrix()
        positive = codes == self.kinds.vocab.get(NONSPEECH, -1)
        n_pos, n_neg = int(positive.sum()), int((~positive).sum())
        if n_pos == 0 or n_neg == 0:
            return None
        ranks = rankdata(frames, axis=0)
        return (ranks[positive].sum(0) - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def scan_units(adapter, clips: Iterable[Clip], site: str, unit_fn: Callable[[torch.Tensor], torch.Tensor] | None = None,  # noqa: ANN001
               k: int = 20, batch_size: int = 8, max_labelled: int = 100_000,
               on_batch: Callable[[int], None] | None = None) -> ScanResult:
    """Stream `clips` through the encoder and profile every unit of `site` (through `unit_fn` if given)."""
    result: ScanResult | None = None
    for item in stream_activations(adapter, clips, [site], batch_size, on_batch=on_batch):
        acts = item.acts[site]
        units = unit_fn(acts).detach() if unit_fn else acts
        if result is None:
            result = ScanResult(site, UnitStats(units.shape[1], k), labelled=LabelledFrames(max_labelled),
                                kinds=LabelledFrames(max_labelled))
        result.clip_ids.append(item.clip.clip_id)
        result.clip_kinds.append(item.clip.kind)
        result.clip_valid.append(item.valid)
        result.padding_frames_excluded += adapter.window_frames - item.valid
        result.stats.update(units, item.index)
        if item.clip.phones:
            phones = [p or SILENCE for p in item.phonemes()]
            result.phonemes[item.index] = phones
            result.words[item.index] = item.words()
            result.labelled.add(units, phones)
            speech_rows = [i for i, p in enumerate(phones) if p != SILENCE]
            result.kinds.add(units[speech_rows], [SPEECH] * len(speech_rows))
        elif item.clip.kind == NONSPEECH:
            result.kinds.add(units, [NONSPEECH] * item.valid)
    if result is None:
        raise ValueError("the corpus yielded no clips")
    return result
