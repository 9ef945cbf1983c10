"""A patching sweep over site kinds x layers x segments, sharing one cached source run and one clean target run.

Passes: one teacher-forced pass of A reading every swept site, one clean pass of B, then one patched pass
of B per cell. Everything is validated (prompts, site kinds, layers, segment names and their alignment)
before the first pass; after each cell, cells.csv and result.json are rewritten, so an interrupted sweep
keeps every finished cell.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from tts_interp import __version__
from tts_interp.core.errors import BadInputError, OutOfRangeError, TTSInterpError, UnknownNameError
from tts_interp.core.fingerprint import content_hash, finished_cell, stamp, weights_provenance
from tts_interp.core.results import write_csv, write_jsonl, write_result
from tts_interp.interventions.generation import RunConfig, generate_to_dir
from tts_interp.interventions.patching.patch import (
    METRICS,
    PatchCell,
    code0_logp,
    describe_cell,
    generation_write,
    parse_kind,
    patch_write,
    recovery,
)
from tts_interp.interventions.session import Session
from tts_interp.interventions.talker.alignment import check_alignable
from tts_interp.interventions.talker.lens import talker_support
from tts_interp.interventions.talker.prompts import PromptPair, experiment_codes, prepare_pair
from tts_interp.models.qwen3_tts.prompt import PromptRequest
from tts_interp.models.qwen3_tts.runs import teacher_force
from tts_interp.models.qwen3_tts.settings import GenerationSettings
from tts_interp.tracing.engine import Read
from tts_interp.tracing.selection import FRAMES_SEGMENT

DETERMINISM = ("deterministic: A, B and every patched run are teacher-forced on the same codes (no sampling); "
               "the codes come from the given file or from greedy decoding of B; optional audio is greedy")


def default_segments(pair: PromptPair, rule: str) -> tuple[list[str], dict[str, str]]:
    """B's segments (and `frames`) that can be aligned with A, and the reason each other one is skipped."""
    chosen, skipped = [], {}
    for name in [s.name for s in pair.b.segments.segments] + [FRAMES_SEGMENT]:
        try:
            check_alignable(pair.a.segments, pair.b.segments, name, rule)
            chosen.append(name)
        except TTSInterpError as exc:
            skipped[name] = str(exc)
    return chosen, skipped


def plan_cells(kinds: Sequence[str], layers: Sequence[int], segments: Sequence[str]) -> list[PatchCell]:
    """Every (kind, layer, segment) cell, in kind-major, then layer, then segment order."""
    return [PatchCell(kind, layer, segment) for kind in kinds for layer in layers for segment in segments]


@dataclass
class PatchSweep:
    """The finished sweep: cell rows, the layer x segment matrix of `metric` per kind, and result.json."""

    rows: list[dict[str, Any]]
    matrices: dict[str, np.ndarray]
    layers: list[int]
    segments: list[str]
    metric: str
    payload: dict[str, Any]


def _matrices(rows: list[dict[str, Any]], kinds: list[str], layers: list[int], segments: list[str], metric: str
              ) -> dict[str, np.ndarray]:
    out = {kind: np.full((len(layers), len(segments)), np.nan) for kind in kinds}
    for row in rows:
        value = row[metric]
        out[row["kind"]][layers.index(row["layer"]), segments.index(row["segment"])] = np.nan if value is None else value
    return out


@dataclass
class PatchPlan:
    """A validated sweep: the prompt pair, the cells, the alignment rule and metric, and skipped segments."""

    pair: PromptPair
    kinds: list[str]
    layers: list[int]
    segments: list[str]
    skipped: dict[str, str]
    rule: str
    metric: str

    @property
    def cells(self) -> list[PatchCell]:
        return plan_cells(self.kinds, self.layers, self.segments)

    @property
    def passes(self) -> int:
        """Forward passes the sweep runs: source, clean target, one per cell."""
        return 2 + len(self.cells)


def plan_patch_sweep(session: Session, source: PromptRequest, target: PromptRequest,
                     kinds: Sequence[str] = ("resid",), layers: Sequence[int] | None = None,
                     segments: Sequence[str] | None = None, rule: str = "refuse", metric: str = "kl_recovery"
                     ) -> PatchPlan:
    """Validate everything a sweep needs (prompts, kinds, layers, segments and their alignment) without running."""
    adapter = session.adapter
    if metric not in METRICS:
        raise UnknownNameError("patch metric", metric, METRICS)
    kind_list = list(dict.fromkeys(parse_kind(k) for k in kinds))
    layer_list = list(range(adapter.n_layers)) if layers is None else list(dict.fromkeys(layers))
    for layer in layer_list:
        if not 0 <= layer < adapter.n_layers:
            raise OutOfRangeError("talker layer", layer, f"0..{adapter.n_layers - 1}")
    pair = prepare_pair(adapter, source, target)
    if segments is None:
        segment_list, skipped = default_segments(pair, rule)
    else:
        segment_list, skipped = list(dict.fromkeys(s.strip() for s in segments if s.strip())), {}
        for name in segment_list:
            check_alignable(pair.a.segments, pair.b.segments, name, rule)
    if not kind_list or not layer_list or not segment_list:
        raise BadInputError("the sweep has no cells: give at least one site kind, layer and segment")
    return PatchPlan(pair, kind_list, layer_list, segment_list, skipped, rule, metric)


def _audio_config(session: Session, pair: PromptPair, target: RunConfig, codes: torch.Tensor, rule: str,
                  cell: PatchCell) -> dict[str, Any]:
    """Everything a patched cell's audio depends on: weights, both prompts (and their clips' bytes), the
    target's generation settings, the forced codes, the alignment rule and the cell."""
    clips = [r.ref_audio for r in (pair.a.request, pair.b.request)]
    return {"command": "patch --audio", "weights": weights_provenance(session.adapter.model_id,
                                                                     session.adapter.checkpoint),
            "source_prompt": pair.a.request.to_json(), "target_run": target.to_json(), "rule": rule,
            "ref_audio_sha256": [content_hash(c) if c else None for c in clips],
            "codes_sha256": hashlib.sha256(codes.numpy().astype(np.int64).tobytes()).hexdigest(),
            "cell": {"kind": cell.kind, "layer": cell.layer, "segment": cell.segment}}


def _result_header(plan: PatchPlan, model: dict[str, Any], codes_source: str, n_frames: int) -> dict[str, Any]:
    """What the sweep's result.json says besides its cells: the two prompts, the forced codes, the metrics."""
    pair = plan.pair
    return {
        "command": "patch", "tts_interp_version": __version__, "model": model,
        "source_prompt": pair.a.request.to_json(), "target_prompt": pair.b.request.to_json(),
        "differs": pair.differs(), "source_segments": pair.a.segments.to_json(),
        "target_segments": pair.b.segments.to_json(), "codes_source": codes_source, "frames": n_frames,
        "deterministic": DETERMINISM, "alignment_rule": plan.rule, "metric": plan.metric,
        "metrics": {"kl_recovery": "1 - mean KL(A||patched) / mean KL(A||B) over forced frames",
                    "logit_diff_recovery": "(LD(patched) - LD(B)) / (LD(A) - LD(B)), LD = sum of logit[a] - "
                                           "logit[b] over frames where A's and B's top codes differ"},
        "kinds": plan.kinds, "layers": plan.layers, "segments": plan.segments, "skipped_segments": plan.skipped,
        "files": {"cells": "cells.csv", "codes": "codes.npy"},
    }


def run_patch_sweep(session: Session, plan: PatchPlan, out_dir: Path, codes: torch.Tensor | None = None,
                    max_new_tokens: int = 100, advance: Callable[[int], None] | None = None, audio: bool = False,
                    on_stale: Callable[[str], None] | None = None) -> PatchSweep:
    """Run a planned sweep; `advance(1)` after each pass (`plan.passes` in all).

    With `audio`, also greedy-generate A, B and B patched per cell into run directories (as `generate` writes
    them) plus manifest.jsonl for the eval harness (source speaker = B, target = A: 0 = stays B, 1 = A). A
    cell's audio already in `out_dir` is reused only if made under this exact config (core/fingerprint.py).
    """
    adapter = session.adapter
    out_dir = Path(out_dir)
    advance = advance or (lambda n: None)
    pair, cells, rule, metric = plan.pair, plan.cells, plan.rule, plan.metric
    codes, codes_source = experiment_codes(session, pair.b, codes, max_new_tokens)
    n_frames = int(codes.shape[0])
    out_dir.mkdir(parents=True, exist_ok=True)
    np.save(out_dir / "codes.npy", codes.numpy().astype(np.int64))
    support = talker_support(adapter)

    sites = list(dict.fromkeys(cell.site for cell in cells))
    source_run = teacher_force(session.engine, adapter, pair.a, codes, reads=[Read(site) for site in sites])
    advance(1)
    target_run = teacher_force(session.engine, adapter, pair.b, codes)
    advance(1)
    logp_a, logp_b = (code0_logp(r.logits.code0_logits, support) for r in (source_run, target_run))

    base = _result_header(plan, adapter.describe(), codes_source, n_frames)
    configs = {name: RunConfig(adapter.model_id, prompt.request, GenerationSettings(max_new_tokens, greedy=True),
                               session.device, session.dtype) for name, prompt in (("source", pair.a), ("target", pair.b))}
    if audio:
        for name, config in configs.items():
            generate_to_dir(session, config, out_dir / name, extra={"role": f"unpatched {name} run"})
        base["files"].update(manifest="manifest.jsonl", source="source/", target="target/")
    rows: list[dict[str, Any]] = []
    manifest: list[dict[str, Any]] = []
    for cell in cells:
        write = patch_write(source_run.store, cell, pair.a.segments, pair.b.segments, n_frames, rule)
        patched = teacher_force(session.engine, adapter, pair.b, codes, writes=[write])
        metrics = recovery(logp_a, logp_b, code0_logp(patched.logits.code0_logits, support))
        rows.append(describe_cell(cell, int(write.value.shape[0]), metrics))
        if audio:
            cell_config = _audio_config(session, pair, configs["target"], codes, rule, cell)
            cell_dir = out_dir / "cells" / cell.cell_id
            if finished_cell(cell_dir, cell_config, ("audio.wav", "codes.npy"), on_stale=on_stale) is None:
                generate_to_dir(session, configs["target"], cell_dir, writes=[generation_write(write, n_frames)],
                                extra={"patch": rows[-1], **stamp(cell_config)})
            rows[-1]["audio"] = f"cells/{cell.cell_id}/audio.wav"
            manifest.append({"id": cell.cell_id, "audio": rows[-1]["audio"], "text": pair.b.request.text,
                             "source": ["target/audio.wav"], "target": ["source/audio.wav"]})
            write_jsonl(out_dir / "manifest.jsonl", manifest)
        write_csv(out_dir / "cells.csv", rows)
        done = len(rows) == len(cells)
        write_result(out_dir, {**base, "status": "complete" if done else f"running: {len(rows)} of {len(cells)}",
                               "cells": rows})
        advance(1)
    matrices = _matrices(rows, plan.kinds, plan.layers, plan.segments, metric)
    return PatchSweep(rows, matrices, plan.layers, plan.segments, metric, {**base, "status": "complete",
                                                                           "cells": rows})
