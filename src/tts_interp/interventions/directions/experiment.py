"""The `direction` experiment end to end: read two labelled sets of runs, compute directions, save them.

Writes OUT/direction.safetensors, OUT/directions.csv (one row per site) and OUT/result.json.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch

from tts_interp import __version__
from tts_interp.core.errors import BadInputError, UnknownNameError
from tts_interp.core.results import write_csv, write_result
from tts_interp.interventions.directions.direction import (
    METHODS,
    Direction,
    compute_direction,
    save_direction,
)
from tts_interp.interventions.directions.file import provenance
from tts_interp.interventions.reading import collect_rows, prepare_runs, rows_from
from tts_interp.interventions.session import Session
from tts_interp.tracing.selection import Selection
from tts_interp.tracing.sites import LAYER_SITE, resolve_sites

DIRECTION_FILE = "direction.safetensors"


def site_rows(direction: Direction) -> list[dict[str, Any]]:
    """One table row per site: layer (when the site has one), norms, probe accuracies, explained variance."""
    rows = []
    for site in direction.sites:
        stats = direction.info["per_site"][site]
        match = LAYER_SITE.match(site)
        explained = stats.get("explained_variance_ratio") or [None]
        rows.append({"site": site, "layer": int(match["index"]) if match else None, "rows_a": stats["rows_a"],
                     "rows_b": stats["rows_b"], "norm": stats["norm"], "relative_norm": stats["relative_norm"],
                     "train_accuracy": stats.get("train_accuracy"), "cv_accuracy": stats.get("cv_accuracy"),
                     "explained_variance_ratio_0": explained[0]})
    return rows


def _key(request: Any) -> str:
    return json.dumps(request.to_json(), sort_keys=True)


def run_direction(session: Session, set_a: Sequence[Any], set_b: Sequence[Any],
                  sites: Sequence[str], selection: Selection, method: str, out_dir: Path,
                  codes: torch.Tensor | None = None, max_new_tokens: int = 50, n_components: int = 4,
                  advance: Callable[[int], None] | None = None, settings: Any = None, pool_runs: bool = False
                  ) -> tuple[Direction, dict[str, Any]]:
    """Directions between set A and set B (B optional for PCA) at `sites`; `advance(1)` after each run.

    Any family with the `run` hook: rows are read teacher-forced on `codes`, or during plain runs with
    `settings` (default: the family's deterministic settings, for Qwen3-TTS greedy decoding). With `pool_runs`,
    each run is one sample (the mean of its selected rows)."""
    adapter = session.adapter
    if method not in METHODS:
        raise UnknownNameError("direction method", method, METHODS)
    if not set_a or (not set_b and method != "pca"):
        raise BadInputError(f"method {method} needs runs in both sets (A: {len(set_a)}, B: {len(set_b)})")
    if method != "pca" and sorted(map(_key, set_a)) == sorted(map(_key, set_b)):
        raise BadInputError("set A and set B are the same prompts: there is no direction between them; give each "
                            "set its own instructs, speakers or reference clips")
    names = [spec.name for spec in resolve_sites(adapter.sites(), sites)]
    prompts_a, prompts_b = prepare_runs(session, set_a, selection), prepare_runs(session, set_b, selection)
    read = dict(codes=codes, max_new_tokens=max_new_tokens, advance=advance, settings=settings, pool=pool_runs)
    rows_a = collect_rows(session, prompts_a, names, selection, **read)
    rows_b = collect_rows(session, prompts_b, names, selection, **read) if set_b else {}
    counts = {"runs_a": len(set_a), "runs_b": len(set_b),
              "rows_a": int(sum(r.shape[0] for r in rows_a[names[0]])),
              "rows_b": int(sum(r.shape[0] for r in rows_b.get(names[0], [])))}
    info = {"counts": counts, "selection": selection.to_json(), "hidden_size": {n: adapter.sites()[n].dim for n in names},
            "set_a": [r.to_json() for r in set_a], "set_b": [r.to_json() for r in set_b],
            "rows_from": rows_from(adapter, codes, max_new_tokens, settings)
            + ("; one row per run (the mean of its rows)" if pool_runs else "")}
    direction = compute_direction(rows_a, rows_b, method, adapter.model_id, n_components, info)
    direction.weights = provenance(adapter.describe())
    out_dir = Path(out_dir)
    save_direction(direction, out_dir / DIRECTION_FILE)
    table = site_rows(direction)
    write_csv(out_dir / "directions.csv", table)
    payload = {"command": "direction", "tts_interp_version": __version__, "model": adapter.describe(),
               "method": method, "sites": names, **info, "per_site": table,
               "direction": {"mean_diff": "mean(A) - mean(B)", "probe": "unit logistic-regression weight (A = 1)",
                             "pca": "principal components of the pooled rows, oriented from B to A"}[method],
               "deterministic": f"the same inputs give the same rows: {info['rows_from']}",
               "files": {"direction": DIRECTION_FILE, "table": "directions.csv"}}
    write_result(out_dir, payload)
    return direction, payload
