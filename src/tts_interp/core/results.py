"""Writing run outputs: `result.json` and friends, atomically, with numpy/torch values made plain."""

from __future__ import annotations

import functools
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


PACKAGES = ("tts-interp", "torch", "transformers", "accelerate", "nnsight", "qwen-tts", "numpy", "onnxruntime",
            "faster-whisper", "resemblyzer")


@functools.cache
def environment() -> dict[str, Any]:
    """What produced a result besides its inputs: the command line, Python, platform and the versions of the
    packages that compute it (strings only, so no number of a result depends on the machine's versions)."""
    import platform
    import shlex
    import sys
    from importlib.metadata import PackageNotFoundError, version

    packages: dict[str, str] = {}
    for name in PACKAGES:
        try:
            packages[name] = version(name)
        except PackageNotFoundError:
            packages[name] = "not installed"
    argv = [Path(sys.argv[0]).name, *sys.argv[1:]] if sys.argv and sys.argv[0] else []
    return {"command_line": shlex.join(argv), "python": platform.python_version(), "platform": platform.platform(),
            "packages": packages}


def write_result(out_dir: Path, payload: dict[str, Any]) -> Path:
    """Write `out_dir/result.json`, the file every command leaves behind, with the `environment` that made it."""
    made_by = payload.get("environment") or json.loads(json.dumps(environment()))  # a copy of the cached one
    return write_json(Path(out_dir) / "result.json", {**payload, "environment": made_by})


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
