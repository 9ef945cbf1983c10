"""`tts-interp eval`: score a JSONL manifest, write items.csv row by row and result.json at the end."""

from __future__ import annotations

import csv
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tts_interp.core.results import write_result
from tts_interp.evals.aggregate import summarise
from tts_interp.evals.items import read_manifest
from tts_interp.evals.score_config import ROW_COLUMNS, ScoreConfig
from tts_interp.evals.scoring import Evaluator


def csv_value(value: Any) -> Any:
    """Empty cell for a metric that does not apply; floats at a readable precision."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return value


def evaluate_manifest(manifest: Path, config: ScoreConfig, out_dir: Path,
                      advance: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Score every row of `manifest`; returns the result.json payload."""
    started = time.time()
    entries = read_manifest(manifest)
    evaluator = Evaluator(config)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    with open(out_dir / "items.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=ROW_COLUMNS)
        writer.writeheader()
        for row in evaluator.score(entries):
            writer.writerow({k: csv_value(row[k]) for k in ROW_COLUMNS})
            handle.flush()
            rows.append(row)
            if advance is not None:
                advance(1)
    calibration = evaluator.calibrate(entries)
    payload = {"command": "eval", "manifest": str(manifest), "config": config.to_dict(),
               "backends": evaluator.describe(), "verifier_calibration": calibration,
               "aggregates": summarise(rows, calibration, config.seed), "items_csv": "items.csv",
               "seconds": round(time.time() - started, 2)}
    write_result(out_dir, payload)
    return payload
