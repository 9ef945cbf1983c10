"""Logit lens over the talker and the code predictor, from one teacher-forced pass.

Every talker layer's residual at the frame positions is read in one pass over a fixed code sequence; the
model's final norm and codec head turn it into a codebook-0 distribution, restricted to what generation can
emit (audio codes 0..2047 plus EOS). The code predictor's layers go through its norm and the lm head of each
codebook 1..15. Per layer (and frame, and codebook): KL to the model's own distribution, top-1 agreement with
it, entropy, and the rank of the code actually in the sequence. At the last layer the lens is the model's own
logits (tests assert it), so that layer's row is taken from them rather than computed a second time; each
metric needs a layer's full distribution (KL and entropy its softmax, top-1 and rank every logit), so the
other layers' logits are computed in full, the code predictor's 15 heads in one batched matmul per layer.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from tts_interp.interventions.distributions import DistributionSummary, rank_of
from tts_interp.interventions.session import Session
from tts_interp.models.qwen3_tts.adapter import Qwen3TTSAdapter
from tts_interp.models.qwen3_tts.prompt import PreparedPrompt
from tts_interp.models.qwen3_tts.runs import teacher_force
from tts_interp.models.qwen3_tts.settings import TeacherForced
from tts_interp.models.qwen3_tts.sites import code_predictor_site, talker_site
from tts_interp.tracing.engine import Read
from tts_interp.tracing.selection import Selection

AUDIO_CODES = 2048
CODE_PREDICTOR_CODEBOOKS = 15
ALL_FRAMES = Selection(frames=(0, None))  # at a talker site: the positions predicting frames 0..T-1
_STACKED_HEADS: weakref.WeakKeyDictionary[torch.nn.Module, tuple[tuple[tuple[int, int], ...], torch.Tensor]] = (
    weakref.WeakKeyDictionary())


def talker_support(adapter: Qwen3TTSAdapter) -> torch.Tensor:
    """Codebook-0 ids generation can emit: audio codes 0..2047 and EOS (the rest is suppressed)."""
    eos = int(adapter.talker_config.codec_eos_token_id)
    return torch.cat([torch.arange(AUDIO_CODES), torch.tensor([eos])])


def talker_lens_logits(adapter: Qwen3TTSAdapter, resid: torch.Tensor) -> torch.Tensor:
    """Residuals (..., H) -> float32 codebook-0 logits on the support (..., 2049): final norm then codec head
    (only the head's support rows are computed)."""
    talker = adapter.talker
    weight = talker.codec_head.weight[talker_support(adapter).to(talker.codec_head.weight.device)]
    with torch.no_grad():
        hidden = talker.model.norm(resid.to(adapter.device, adapter.dtype))
        return torch.nn.functional.linear(hidden, weight).float().cpu()


def code_predictor_heads(adapter: Qwen3TTSAdapter) -> torch.Tensor:
    """The lm heads of codebooks 1..15 as one (15, Hc, 2048) weight, for one batched matmul per layer.

    Stacked once per model and reused while the head weights stay the same tensors, unmodified (storage and
    in-place version unchanged), so repeated lens runs in one session do not copy the heads again.
    """
    predictor = adapter.talker.code_predictor
    weights = [predictor.lm_head[g].weight for g in range(CODE_PREDICTOR_CODEBOOKS)]
    key = tuple((w.data_ptr(), w._version) for w in weights)
    cached = _STACKED_HEADS.get(predictor)
    if cached is None or cached[0] != key:
        with torch.no_grad():
            cached = (key, torch.stack(weights).transpose(1, 2).contiguous())
        _STACKED_HEADS[predictor] = cached
    return cached[1]


def code_predictor_lens_logits(adapter: Qwen3TTSAdapter, resid: torch.Tensor,
                               heads: torch.Tensor | None = None) -> torch.Tensor:
    """Code-predictor residuals (T, 15, Hc) -> float32 logits (T, 15, 2048): its norm, then codebook g's head
    (all 15 heads in one batched matmul; pass `heads` from `code_predictor_heads` to stack them only once)."""
    predictor = adapter.talker.code_predictor
    heads = code_predictor_heads(adapter) if heads is None else heads
    with torch.no_grad():
        hidden = predictor.model.norm(resid.to(adapter.device, adapter.dtype))
        logits = torch.bmm(hidden.transpose(0, 1), heads)  # (15, T, 2048)
    return logits.transpose(0, 1).float().cpu()


@dataclass
class ResidualPass:
    """Residuals of one teacher-forced pass: talker (layers, T, H) at the frame positions, code predictor
    (layers, T, 15, Hc) or None, and the model's own logits."""

    talker: torch.Tensor
    code_predictor: torch.Tensor | None
    logits: TeacherForced


def residual_pass(session: Session, prompt: PreparedPrompt, codes: torch.Tensor,
                  code_predictor: bool = True) -> ResidualPass:
    """One teacher-forced pass reading every talker layer (and code-predictor layer) at every frame."""
    adapter = session.adapter
    reads = [Read(talker_site(i), ALL_FRAMES) for i in range(adapter.n_layers)]
    if code_predictor:
        reads += [Read(code_predictor_site(j)) for j in range(adapter.n_code_predictor_layers)]
    run = teacher_force(session.engine, adapter, prompt, codes, reads=reads)
    n_frames = int(codes.shape[0])
    talker = torch.stack([run.store.get(talker_site(i)).values for i in range(adapter.n_layers)])
    predictor = None
    if code_predictor:
        predictor = torch.stack([run.store.get(code_predictor_site(j)).values.reshape(
            n_frames, CODE_PREDICTOR_CODEBOOKS, -1) for j in range(adapter.n_code_predictor_layers)])
    return ResidualPass(talker, predictor, run.logits)


@dataclass
class LensStats:
    """Per layer (first axis) and per frame (and codebook): the lens against the model's own distribution."""

    kl_to_final: np.ndarray
    top1_agreement: np.ndarray
    entropy: np.ndarray
    chosen_rank: np.ndarray

    def layer_rows(self, extra: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """One summary row per layer: means over every other axis."""
        rows = []
        for layer in range(self.kl_to_final.shape[0]):
            rows.append({"layer": layer, **(extra or {}),
                         "kl_to_final": float(self.kl_to_final[layer].mean()),
                         "top1_agreement": float(self.top1_agreement[layer].mean()),
                         "entropy": float(self.entropy[layer].mean()),
                         "chosen_rank_mean": float(self.chosen_rank[layer].mean()),
                         "chosen_rank_median": float(np.median(self.chosen_rank[layer]))})
        return rows


CHUNK_ELEMENTS = 2**18  # logits per chunk (1 MB of float32): the softmax passes over a chunk stay in cache


def lens_stats(layer_logits: Iterable[torch.Tensor], final_logits: torch.Tensor, chosen: torch.Tensor) -> LensStats:
    """Compare the lens logits of every layer but the last (each shaped like `final_logits`, vocabulary last)
    with the final ones, and append the last layer's row.

    The last layer's lens is the model's own computation (final norm + head of the last layer's output; tests
    assert the two agree), so its row is the final distribution compared with itself, not recomputed. Frames are
    taken in chunks of about CHUNK_ELEMENTS logits (the code predictor's 15 x 2048 per frame would otherwise
    stream every pass through memory: 1.6x slower); each frame's statistics do not depend on the chunking.
    """
    step = max(1, CHUNK_ELEMENTS // max(1, final_logits[0].numel()))
    spans = [slice(i, i + step) for i in range(0, final_logits.shape[0], step)]
    finals = [DistributionSummary(final_logits[span]) for span in spans]
    rows = [_layer_row(logits, finals, spans, chosen) for logits in layer_logits]
    rows.append(_layer_row(final_logits, finals, spans, chosen, final=True))
    kls, tops, ents, ranks = zip(*rows, strict=True)
    return LensStats(np.stack(kls), np.stack(tops).astype(np.float64), np.stack(ents), np.stack(ranks))


def _layer_row(logits: torch.Tensor, finals: list[DistributionSummary], spans: list[slice], chosen: torch.Tensor,
               final: bool = False) -> tuple[np.ndarray, ...]:
    """KL to the final distribution, top-1 agreement, entropy and the chosen code's rank of one layer, per frame
    (`final`: these are the final logits themselves: KL 0 and agreement 1 by definition)."""
    parts = []
    for summary, span in zip(finals, spans, strict=True):
        if final:
            kl, agrees, entropy = torch.zeros_like(summary.entropy), torch.ones_like(summary.top, dtype=torch.bool), \
                summary.entropy
        else:
            kl, agrees, entropy = summary.compare(logits[span])
        parts.append((kl.numpy(), agrees.numpy(), entropy.numpy(), rank_of(logits[span], chosen[span]).numpy()))
    return tuple(np.concatenate(column) for column in zip(*parts, strict=True))


@dataclass
class Lens:
    """The lens of one run: talker stats (layers, T), code-predictor stats (layers, T, 15) or None."""

    talker: LensStats
    code_predictor: LensStats | None

    def to_json(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"layers": self.talker.layer_rows()}
        if self.code_predictor is not None:
            payload["code_predictor"] = {"layers": self.code_predictor.layer_rows(),
                                         "by_codebook": self.code_predictor_rows()}
        return payload

    def code_predictor_rows(self) -> list[dict[str, Any]]:
        """One row per code-predictor layer and codebook (means over frames)."""
        assert self.code_predictor is not None
        stats = self.code_predictor
        rows = []
        for layer in range(stats.kl_to_final.shape[0]):
            for g in range(CODE_PREDICTOR_CODEBOOKS):
                rows.append({"layer": layer, "codebook": g + 1,
                             "kl_to_final": float(stats.kl_to_final[layer, :, g].mean()),
                             "top1_agreement": float(stats.top1_agreement[layer, :, g].mean()),
                             "entropy": float(stats.entropy[layer, :, g].mean()),
                             "chosen_rank_mean": float(stats.chosen_rank[layer, :, g].mean())})
        return rows


def compute_lens(adapter: Qwen3TTSAdapter, residuals: ResidualPass, codes: torch.Tensor) -> Lens:
    """The lens statistics of a residual pass over `codes` (T, 16)."""
    support = talker_support(adapter)
    final = residuals.logits.code0_logits[:, support]
    chosen0 = codes[:, 0]  # audio codes 0..2047 sit at the same index in the support
    talker = lens_stats(talker_lens_logits(adapter, residuals.talker[:-1]), final, chosen0)
    predictor = None
    if residuals.code_predictor is not None:
        final_cp = residuals.logits.code_predictor_logits
        chosen = codes[:, 1:]
        heads = code_predictor_heads(adapter)
        per_layer = (code_predictor_lens_logits(adapter, h, heads) for h in residuals.code_predictor[:-1])
        predictor = lens_stats(per_layer, final_cp, chosen)  # a generator: one layer's logits in memory at a time
    return Lens(talker, predictor)
