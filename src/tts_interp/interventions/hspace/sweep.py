"""h-space sweeps: alpha x t-range grid over prompts, writing audio and rows for the eval harness.

The paper's baseline (a direction at `speaker_embedding`, moved by the same alphas) runs through the same code.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tts_interp.core.errors import BadInputError, TTSInterpError
from tts_interp.core.fingerprint import check_policy, content_hash, finished_cell, stamp, weights_provenance
from tts_interp.core.results import write_json, write_result
from tts_interp.interventions.hspace.directions import Direction
from tts_interp.interventions.hspace.editing import edit, write_run
from tts_interp.interventions.session import Session
from tts_interp.models.denoising.settings import DenoiseRequest, SamplerSettings


@dataclass(frozen=True)
class SweepCell:
    """One cell of a sweep: a prompt, a direction (or none: the plain reference), alpha and t-range."""

    prompt_index: int
    direction_index: int | None
    alpha: float
    t_range: tuple[float, float] | None

    @property
    def cell_id(self) -> str:
        if self.direction_index is None:
            return f"p{self.prompt_index:03d}-plain"
        span = "all" if self.t_range is None else f"t{self.t_range[0]:g}-{self.t_range[1]:g}"
        return f"p{self.prompt_index:03d}-d{self.direction_index}-a{self.alpha:+g}-{span}"


def sweep_cells(n_prompts: int, directions: Sequence[Direction], alphas: Sequence[float],
                t_ranges: Sequence[tuple[float, float] | None], conditioning: Sequence[bool]) -> list[SweepCell]:
    """Every cell: per prompt a plain reference, then each direction x alpha x t-range (one t-range for
    conditioning-site directions such as the speaker-embedding baseline)."""
    if not alphas:
        raise BadInputError("a sweep needs at least one alpha")
    cells = []
    for p in range(n_prompts):
        cells.append(SweepCell(p, None, 0.0, None))
        for d, _ in enumerate(directions):
            spans = [None] if conditioning[d] else list(t_ranges or [None])
            cells += [SweepCell(p, d, float(a), span) for a in alphas for span in spans]
    return cells


def sweep(session: Session, requests: Sequence[DenoiseRequest], directions: Sequence[Direction],
          alphas: Sequence[float], t_ranges: Sequence[tuple[float, float] | None], settings: SamplerSettings,
          out_dir: Path, on_cell: Callable[[], None] | None = None, on_stale: Callable[[str], None] | None = None,
          policy: str = "recompute") -> dict[str, Any]:
    """Run every cell into `out_dir/cells/<id>/` (cells finished under the same config are reused on restart,
    others recomputed or refused: core/fingerprint.py); write rows.jsonl.

    The directions are saved beside the cells (`directions/d<i>.safetensors`) so the sweep can be replayed.

    Each row names the edited audio, the plain reference audio of the same prompt and seed, and the text, so
    the eval harness can score speaker similarity / identity shift against the reference, WER against the
    text, and F0.
    """
    if not requests:
        raise BadInputError("a sweep needs at least one prompt")
    for direction in directions:
        direction.check_fits(session)
    out_dir = Path(out_dir)
    conditioning = [session.is_conditioning(d.site) for d in directions]
    cells = sweep_cells(len(requests), directions, alphas, t_ranges, conditioning)
    configs = {c.cell_id: _cell_config(session, c, requests, directions, settings) for c in cells}
    if check_policy(policy) == "refuse":  # before anything in out_dir is overwritten
        for cell_id, config in configs.items():
            finished_cell(out_dir / "cells" / cell_id, config, (), policy)
    write_json(out_dir / "sweep.json", {
        "model": session.model, "settings": settings.to_json(), "alphas": list(alphas),
        "t_ranges": [list(t) if t else None for t in t_ranges], "requests": [r.to_json() for r in requests],
        "directions": [{"site": d.site, "kind": d.kind, "per_step": d.per_step, "info": d.info,
                        "file": str(d.save(out_dir / "directions" / f"d{i}.safetensors").relative_to(out_dir))}
                       for i, d in enumerate(directions)],
        "cells": [c.cell_id for c in cells]})
    skipped: list[dict[str, str]] = []
    rows: list[dict[str, Any]] = []
    started = time.perf_counter()
    for cell in cells:
        cell_dir = out_dir / "cells" / cell.cell_id
        if finished_cell(cell_dir, configs[cell.cell_id], ("audio.wav", "mel.npy"), policy, on_stale) is None:
            try:
                direction = directions[cell.direction_index] if cell.direction_index is not None else None
                run = edit(session, requests[cell.prompt_index], settings, direction, cell.alpha, cell.t_range)
                write_run(cell_dir, session, run, {"command": "hspace sweep", "cell": _cell_json(cell, directions),
                                                   **stamp(configs[cell.cell_id])})
            except TTSInterpError as exc:
                skipped.append({"cell": cell.cell_id, "reason": str(exc)})
                if on_cell is not None:
                    on_cell()
                continue
        rows.append(_row(out_dir, cell, requests, directions, session))
        _write_rows(out_dir / "rows.jsonl", rows)
        if on_cell is not None:
            on_cell()
    summary = {"command": "hspace sweep", "cells": len(cells), "finished": len(rows), "skipped": skipped,
               "rows": "rows.jsonl", "seconds": round(time.perf_counter() - started, 2)}
    write_result(out_dir, {**json.loads((out_dir / "sweep.json").read_text()), **summary})
    return summary


def _cell_config(session: Session, cell: SweepCell, requests: Sequence[DenoiseRequest],
                 directions: Sequence[Direction], settings: SamplerSettings) -> dict[str, Any]:
    """Everything a cell's audio depends on: weights, request (and the reference clip's bytes), settings, the
    cell and its direction's vectors."""
    request = requests[cell.prompt_index]
    direction = directions[cell.direction_index] if cell.direction_index is not None else None
    return {"command": "hspace sweep", "weights": weights_provenance(session.model, session.adapter.checkpoint),
            "request": request.to_json(), "settings": settings.to_json(), "cell": asdict(cell),
            "ref_audio_sha256": content_hash(request.ref_audio) if request.ref_audio else None,
            "direction": None if direction is None else {
                "site": direction.site, "mean_norm": direction.mean_norm, "per_step": direction.per_step,
                "timesteps": list(direction.timesteps),
                "vectors_sha256": hashlib.sha256(direction.vectors.float().numpy().tobytes()).hexdigest()}}


def _cell_json(cell: SweepCell, directions: Sequence[Direction]) -> dict[str, Any]:
    data = asdict(cell) | {"cell_id": cell.cell_id}
    if cell.direction_index is not None:
        d = directions[cell.direction_index]
        data |= {"site": d.site, "kind": d.kind, "method": "speaker_embedding" if d.site == "speaker_embedding"
                 else "hspace", "mean_norm": d.mean_norm}
    return data


def _row(out_dir: Path, cell: SweepCell, requests: Sequence[DenoiseRequest], directions: Sequence[Direction],
         session: Session) -> dict[str, Any]:
    request = requests[cell.prompt_index]
    reference = SweepCell(cell.prompt_index, None, 0.0, None)
    return {"model": session.model, **_cell_json(cell, directions), "text": request.text,
            "speaker": request.speaker, "ref_audio": request.ref_audio,
            "audio": str(Path("cells") / cell.cell_id / "audio.wav"),
            "reference_audio": str(Path("cells") / reference.cell_id / "audio.wav")}


def _write_rows(path: Path, rows: list[dict[str, Any]]) -> None:
    tmp = path.with_suffix(".jsonl.tmp")
    tmp.write_text("".join(json.dumps(r) + "\n" for r in rows))
    tmp.replace(path)
