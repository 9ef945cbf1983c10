"""Writing run outputs: `result.json` and friends, atomically, with numpy/torch values made plain."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np


def to_jsonable(value: Any) -> Any:
    """Turn numpy/torch scalars and arrays, paths and tuples into plain JSON values (NaN/inf become null)."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, np.generic):
        return to_jsonable(value.item())
    if hasattr(value, "detach") and hasattr(value, "tolist"):
        return to_jsonable(value.detach().cpu().tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_json(path: Path, payload: dict[str, Any]) -> Path:
    """Write JSON atomically (temp file + rename) so a killed run never leaves a half-written file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(to_jsonable(payload), indent=2, sort_keys=False) + "\n")
    os.replace(tmp, path)
    return path


def write_result(out_dir: Path, payload: dict[str, Any]) -> Path:
    """Write `out_dir/result.json`, the file every command leaves behind."""
    return write_json(Path(out_dir) / "result.json", payload)


def write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    """Write rows as a CSV table with a header, atomically; the columns are every row's keys in first-seen order (a
    row without one of them leaves it empty)."""
    import csv

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    columns = list(dict.fromkeys(key for row in rows for key in row))
    with tmp.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows([to_jsonable(row) for row in rows])
    os.replace(tmp, path)
    return path


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    """Write one JSON object per line (a manifest), atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text("".join(json.dumps(to_jsonable(row)) + "\n" for row in rows))
    os.replace(tmp, path)
    return path
