"""Activation patching: replace run B's activations at chosen sites and positions with run A's.

Both runs are teacher-forced on the same codes, so every number is deterministic. A's activations are
cached once; a patch is a `replace` write whose rows are A's activations at the positions aligned (segment
by segment, see alignment.py) with the B positions it covers. The effect of a patch is measured on the
codebook-0 distributions of the forced frames, restricted to what generation can emit:

- KL recovery: 1 - mean KL(A || patched) / mean KL(A || B)
- logit-difference recovery, over frames where A's and B's top codes differ (a != b):
  (LD(patched) - LD(B)) / (LD(A) - LD(B)) with LD(x) = sum over those frames of x[a] - x[b]

Both are 0 when the patched run stays B and 1 when it becomes A; undefined (None) when A and B agree.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import torch

from tts_interp.core.errors import UnknownNameError
from tts_interp.interventions.distributions import kl, log_probs
from tts_interp.interventions.talker.alignment import aligned_positions
from tts_interp.models.qwen3_tts.sites import LAYER_KINDS, talker_site
from tts_interp.tracing.ops import Write
from tts_interp.tracing.selection import FRAMES_SEGMENT, Selection
from tts_interp.tracing.spec import SegmentMap
from tts_interp.tracing.store import MemoryStore

SITE_KINDS = LAYER_KINDS
METRICS = ("kl_recovery", "logit_diff_recovery")


def parse_kind(name: str, kinds: dict[str, str] = SITE_KINDS) -> str:
    """A short kind name (Qwen3-TTS: `resid`/`attn`/`mlp`) or the full one (`resid_out`, ...) to a site kind;
    `kinds` is an adapter's `layer_kinds` (default: Qwen3-TTS's talker kinds)."""
    name = name.strip()
    if name in kinds:
        return kinds[name]
    if name in kinds.values():
        return name
    raise UnknownNameError("site kind", name, list(kinds))


@dataclass(frozen=True)
class PatchCell:
    """One patch: site kind at one talker layer, over one segment (or group, or `frames`)."""

    kind: str
    layer: int
    segment: str

    @property
    def site(self) -> str:
        return talker_site(self.layer, self.kind)

    @property
    def cell_id(self) -> str:
        return f"{self.kind}.L{self.layer}.{self.segment}"


def patch_write(cache: MemoryStore, cell: PatchCell, source: SegmentMap, target: SegmentMap, n_frames: int,
                rule: str = "refuse") -> Write:
    """A `replace` write putting A's cached activation (aligned) at B's positions of `cell.segment`."""
    targets, sources = aligned_positions(source, target, cell.segment, n_frames, rule)
    cached = cache.get(cell.site)
    index = {row.position: i for i, row in enumerate(cached.rows)}
    missing = [p for p in sources if p not in index]
    if missing:
        raise ValueError(f"the source cache of {cell.site} lacks positions {missing[:5]}")
    values = cached.values[[index[p] for p in sources]]
    return Write(cell.site, "replace", values, Selection(segments=(cell.segment,)))


def generation_write(write: Write, n_frames: int) -> Write:
    """The same patch for a greedy generation of B: a `frames` patch covers the generated positions of frames
    1..T-1 (the T-1 cached rows, one per frame, in order); prompt segments are unchanged."""
    if FRAMES_SEGMENT not in write.selection.segments:
        return write
    return replace(write, selection=Selection(frames=(1, n_frames)))


def code0_logp(logits: torch.Tensor, support: torch.Tensor) -> torch.Tensor:
    """Teacher-forced codebook-0 logits (T, 3072) -> float32 log-probs on the generation support (T, 2049)."""
    return log_probs(logits[:, support])


def recovery(source: torch.Tensor, target: torch.Tensor, patched: torch.Tensor) -> dict[str, float | None]:
    """Effect metrics of a patch from codebook-0 log-probs (T, V) of A (source), B (target) and the patched run."""
    kl_ab = float(kl(source, target).mean())
    kl_ap = float(kl(source, patched).mean())
    a_top, b_top = source.argmax(-1), target.argmax(-1)
    differ = a_top != b_top
    rows = differ.nonzero()[:, 0]

    def logit_diff(x: torch.Tensor) -> float:
        return float((x[rows, a_top[rows]] - x[rows, b_top[rows]]).sum())

    denominator = logit_diff(source) - logit_diff(target)
    return {
        "kl_recovery": 1.0 - kl_ap / kl_ab if kl_ab > 0 else None,
        "logit_diff_recovery": (logit_diff(patched) - logit_diff(target)) / denominator
        if int(differ.sum()) and denominator != 0 else None,
        "kl_to_source": kl_ap, "kl_source_target": kl_ab, "kl_to_target": float(kl(target, patched).mean()),
        "frames_top_differ": int(differ.sum()),
    }


def describe_cell(cell: PatchCell, n_positions: int, metrics: dict[str, Any]) -> dict[str, Any]:
    """One row of the cells table."""
    return {"id": cell.cell_id, "kind": cell.kind, "site": cell.site, "layer": cell.layer, "segment": cell.segment,
            "positions": n_positions, **metrics}
