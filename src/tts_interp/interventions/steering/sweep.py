"""A steering sweep over alpha x layer: one run directory per cell, plus a cells table and an eval manifest.

Any family with the `run` hook (models/base.py): its `layer_site` names the layers, its `run` makes the plain and
steered runs, its `write_run` writes each directory (Qwen3-TTS: as `tts-interp generate` does).

Layout of OUT: plain/ (the calibration run, an ordinary generate directory), cells/<cell id>/ (audio.wav,
codes.npy or mel.npy, result.json exactly as the family's generate writes them, with the steering recorded), cells.csv,
manifest.jsonl (id, audio, text, reference = the plain run's audio, so similarity 1 = voice unchanged; paths relative to OUT, ready for
`tts-interp eval`) and result.json. Everything is validated before the first generation; the tables are
rewritten after each cell, and a rerun into the same OUT reuses cells whose steering matches.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from tts_interp import __version__
from tts_interp.core.errors import UnknownNameError
from tts_interp.core.fingerprint import (
    adapter_weights,
    check_policy,
    content_hash,
    finished_cell,
    stamp,
)
from tts_interp.core.results import write_csv, write_jsonl, write_result
from tts_interp.interventions.directions.direction import Direction, load_direction
from tts_interp.interventions.generation import RunConfig
from tts_interp.interventions.patching.patch import parse_kind
from tts_interp.interventions.running import generate_to_dir, prepare_checked, run_length
from tts_interp.interventions.session import Session
from tts_interp.interventions.steering.writes import (
    STEER_OPS,
    Calibration,
    SteerCell,
    calibrate,
    check_layers,
    code_agreement,
    parse_alphas,
    steering_writes,
)
from tts_interp.models.base import require
from tts_interp.tracing.selection import Selection, check_segments
from tts_interp.tracing.sites import resolve_sites


@dataclass
class SteerSweep:
    """The finished sweep: one row per cell and the result payload."""

    rows: list[dict[str, Any]]
    alphas: list[float]
    layer_groups: list[tuple[int, ...]]
    payload: dict[str, Any]


def _cell_spec(cell: SteerCell, op: str, kind: str, component: int, selection: Selection, direction: Path
               ) -> dict[str, Any]:
    spec = {"alpha": cell.alpha, "layers": list(cell.layers), "op": op, "kind": kind, "component": component,
            "selection": selection.to_json(), "direction": str(direction)}
    return {**spec, "sites": list(cell.sites)} if cell.sites else spec


def _cell_config(plan: SteerPlan, spec: dict[str, Any], weights: dict[str, Any]) -> dict[str, Any]:
    """Everything a cell's audio depends on: weights, the run config (prompt, seed, settings), the steering and
    the direction file's content (a rewritten direction at the same path is another cell)."""
    ref_audio = getattr(plan.config.prompt, "ref_audio", None)
    return {"command": "steer", "weights": weights, "run": plan.config.to_json(), "steering": spec,
            "direction_sha256": content_hash(plan.direction_path),
            "ref_audio_sha256": content_hash(ref_audio) if ref_audio else None}


def _agreement(cell_dir: Path, plain: Any) -> float | None:
    """Codebook-0 agreement of a cell's codes with the plain run's (None for a family without codes)."""
    codes = cell_dir / "codes.npy"
    if not codes.is_file() or getattr(plain, "codes", None) is None:
        return None
    return code_agreement(torch.as_tensor(np.load(codes)), plain.codes)


@dataclass
class SteerPlan:
    """A validated sweep: config, loaded direction, operation, gating, and the cells to generate."""

    config: RunConfig
    direction: Direction
    direction_path: Path
    op: str
    kind: str
    component: int
    selection: Selection
    layers: list[int]
    alphas: list[float]
    groups: list[tuple[int, ...]]
    together: bool
    sites: list[str]  # every steered site; with no layers, these by name, all at once

    @property
    def cells(self) -> list[SteerCell]:
        if not self.layers:
            return [SteerCell(alpha, (), tuple(self.sites)) for alpha in self.alphas]
        return [SteerCell(alpha, group) for group in self.groups for alpha in self.alphas]

    @property
    def runs(self) -> int:
        """Generations the sweep runs: the plain calibration run, then one per cell."""
        return 1 + len(self.cells)


def plan_steer_sweep(session: Session, config: RunConfig, direction_path: Path, layers: Sequence[int],
                     alphas: Sequence[float | str], op: str = "add", selection: Selection | None = None,
                     kind: str | None = None, component: int = 0, together: bool = False,
                     sites: Sequence[str] = ()) -> SteerPlan:
    """Validate a sweep (alphas finite, layers, op, direction for this model and these sites, segments).

    `config` is a RunConfig of the family's request and settings; `kind` one of the adapter's `layer_kinds`
    (default: its first, Qwen3-TTS's `resid`). Without layers, `sites` (site names or patterns; default: the
    direction's own sites) are steered by name, all at once, one cell per alpha."""
    adapter = session.adapter
    require(adapter, "run")
    selection = selection or Selection()
    alpha_list = parse_alphas(alphas)
    if op not in STEER_OPS:
        raise UnknownNameError("steering operation", op, STEER_OPS)
    kind = parse_kind(kind if kind is not None else next(iter(adapter.layer_kinds)), adapter.layer_kinds)
    layer_list = check_layers(layers, adapter.n_layers, f"{adapter.family} layer") if layers else []
    if layer_list:
        sites = [adapter.layer_site(layer, kind) for layer in layer_list]
    elif sites:
        sites = [spec.name for spec in resolve_sites(adapter.sites(), list(sites))]
    else:
        sites = load_direction(direction_path, adapter.model_id).sites
    direction = load_direction(direction_path, adapter.model_id, sites)
    for site in sites:
        direction.unit(site, component)  # a missing PCA component fails here, before any run
    prompt = prepare_checked(adapter, config.prompt)
    check_segments(selection, prompt.segments)
    groups = [tuple(layer_list)] if together else [(layer,) for layer in layer_list]
    return SteerPlan(config, direction, Path(direction_path), op, kind, component, selection, layer_list, alpha_list,
                     groups, together, list(sites))


def _result_header(plan: SteerPlan, model: dict[str, Any], calibration: Calibration, weights: dict[str, Any]
                   ) -> dict[str, Any]:
    """What the sweep's result.json says besides its cells: configuration, direction, unit of alpha, weights."""
    config, direction = plan.config, plan.direction
    return {
        "command": "steer", "tts_interp_version": __version__, "model": model, "config": config.to_json(),
        "direction": {"path": str(plan.direction_path), "method": direction.method, "model": direction.model,
                      "component": plan.component},
        "op": plan.op, "kind": plan.kind, "selection": plan.selection.to_json(), "layers": plan.layers,
        "sites": plan.sites, "together": plan.together, "alphas": plan.alphas, "calibration": calibration.to_json(),
        "alpha_unit": "add: alpha x the site's mean activation norm on the plain run at the selected positions "
                      "(see calibration.positions); project_out: fraction of the component removed (1 = all)",
        "deterministic": "greedy decoding: same inputs, same codes" if getattr(config.settings, "greedy", False)
        else f"sampled with seed {config.settings.seed}: same seed and inputs, same outputs",
        "files": {"cells": "cells.csv", "manifest": "manifest.jsonl", "plain": "plain/"}, "weights": weights,
    }


def run_steer_sweep(session: Session, plan: SteerPlan, out_dir: Path,
                    advance: Callable[[int], None] | None = None, on_stale: Callable[[str], None] | None = None,
                    policy: str = "recompute") -> SteerSweep:
    """Generate the plain run, then one steered run per cell; `advance(1)` after each (`plan.runs` in all).

    A cell already in `out_dir` is reused only if made under this exact configuration; otherwise it is
    recomputed (`on_stale` says so) or, with policy "refuse", the sweep stops (core/fingerprint.py).
    """
    adapter = session.adapter
    out_dir = Path(out_dir)
    advance = advance or (lambda n: None)
    config, direction, op, kind, selection = plan.config, plan.direction, plan.op, plan.kind, plan.selection
    weights = adapter_weights(adapter)
    specs = {cell.cell_id: _cell_spec(cell, op, kind, plan.component, selection, plan.direction_path)
             for cell in plan.cells}
    cell_configs = {cell_id: _cell_config(plan, spec, weights) for cell_id, spec in specs.items()}
    if check_policy(policy) == "refuse":  # refuse before anything in out_dir is overwritten
        for cell_id, cell_config in cell_configs.items():
            finished_cell(out_dir / "cells" / cell_id, cell_config, (), policy)
    prompt = prepare_checked(adapter, config.prompt)
    calibration = calibrate(session, prompt, config.settings, plan.sites, selection)
    plain = adapter.write_run(out_dir / "plain", calibration.run, config.to_json(),
                              {"role": "plain run: the steering calibration and the reference of every cell"})
    run_files = tuple(plain["files"].values())  # what every cell directory holds (audio and codes or mel)
    advance(1)
    base = _result_header(plan, adapter.describe(), calibration, weights)
    rows: list[dict[str, Any]] = []
    manifest: list[dict[str, Any]] = []
    cells = plan.cells
    for cell in cells:
        cell_dir = out_dir / "cells" / cell.cell_id
        spec, cell_config = specs[cell.cell_id], cell_configs[cell.cell_id]
        result = finished_cell(cell_dir, cell_config, run_files, policy, on_stale)
        if result is None:
            writes = steering_writes(direction, cell, op, selection, calibration, kind, plan.component,
                                     adapter.layer_site)
            result = generate_to_dir(session, config, cell_dir, writes, extra={"steering": spec, **stamp(cell_config)})
        frames, seconds = run_length(result)
        rows.append({"id": cell.cell_id, "alpha": cell.alpha, "layers": "-".join(map(str, cell.layers)),
                     "sites": "+".join(cell.sites), "op": op, "frames": frames, "seconds": seconds,
                     "code0_agreement_with_plain": _agreement(cell_dir, calibration.run),
                     "dir": f"cells/{cell.cell_id}", "audio": f"cells/{cell.cell_id}/audio.wav"})
        manifest.append({"id": cell.cell_id, "audio": f"cells/{cell.cell_id}/audio.wav", "text": config.prompt.text,
                         "reference": ["plain/audio.wav"]})
        write_csv(out_dir / "cells.csv", rows)
        write_jsonl(out_dir / "manifest.jsonl", manifest)
        status = "complete" if len(rows) == len(cells) else f"running: {len(rows)} of {len(cells)}"
        write_result(out_dir, {**base, "status": status, "cells": rows})
        advance(1)
    return SteerSweep(rows, plan.alphas, plan.groups, {**base, "status": "complete", "cells": rows})
