"""`tts-interp eval`: score a JSONL manifest, write items.csv row by row, then the set scorers (attackers.csv)
and result.json at the end."""

from __future__ import annotations

import csv
import json
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tts_interp.core.results import write_csv, write_result
from tts_interp.evals.aggregate import summarise
from tts_interp.evals.attackers import item_clip, score_rows
from tts_interp.evals.items import EvalItem, read_manifest, user_columns
from tts_interp.evals.score_config import ROW_COLUMNS, ScoreConfig
from tts_interp.evals.scoring import Evaluator


def csv_value(value: Any) -> Any:
    """Empty cell for a metric that does not apply; floats at a readable precision."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return value


def csv_row(row: dict[str, Any], columns: tuple[str, ...], user: dict[str, str]) -> dict[str, Any]:
    """One items.csv row: the project's columns, then the user's own manifest fields (lists/dicts as JSON)."""
    fields = row.get("fields") or {}
    values = {k: csv_value(row.get(k)) for k in columns}
    for name, column in user.items():
        value = fields.get(name)
        values[column] = json.dumps(value) if isinstance(value, (list, dict)) else csv_value(value)
    return values


def evaluate_manifest(manifest: Path, config: ScoreConfig, out_dir: Path,
                      advance: Callable[[int], None] | None = None, calibration: Path | None = None
                      ) -> dict[str, Any]:
    """Score every row of `manifest`; returns the result.json payload. The verifier's threshold is fitted on
    the speaker clips of `calibration` (a manifest) if given, else on this manifest's, never on the clips
    that are themselves scored."""
    started = time.time()
    entries = read_manifest(manifest)
    evaluator = Evaluator(config)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    with open(out_dir / "items.csv", "w", newline="") as handle:
        user = user_columns((e.fields for e in entries if isinstance(e, EvalItem)), ROW_COLUMNS)
        writer = csv.DictWriter(handle, fieldnames=ROW_COLUMNS + tuple(user.values()))
        writer.writeheader()
        for row in evaluator.score(entries):
            writer.writerow(csv_row(row, ROW_COLUMNS, user))
            handle.flush()
            rows.append(row)
            if advance is not None:
                advance(1)
    scored = [e.audio for e in entries if isinstance(e, EvalItem)]
    fitted = (evaluator.calibrate(read_manifest(calibration), scored, f"--calibration manifest {calibration}")
              if calibration is not None else evaluator.calibrate(entries, scored))
    if "attackers" in config.scorers:
        items = [e for e in entries if isinstance(e, EvalItem)]
        attacks = score_rows([item_clip(e) for e in items], [e.id for e in items], evaluator.verifiers(),
                             {Path(r["audio"]): r for r in rows}, config.seed, "prosody" in config.scorers)
        write_csv(out_dir / "attackers.csv", attacks["conditions"])
    payload = {"command": "eval", "manifest": str(manifest), "config": config.to_dict(),
               "backends": evaluator.describe(), "verifier_calibration": fitted,
               "aggregates": summarise(rows, fitted, config.seed), "items_csv": "items.csv",
               **({"attackers": attacks, "attackers_csv": "attackers.csv"} if "attackers" in config.scorers else {}),
               "failed_reasons": dict(Counter(str(r["error"]) for r in rows if r["status"] == "failed")),
               "not_scored": evaluator.skipped,
               "seconds": round(time.time() - started, 2)}
    write_result(out_dir, payload)
    return payload
