"""Cell identity by full configuration: a unit of work is finished only under the exact config that made it.

A resumable command (steer, patch --audio, hspace sweep, suites, ...) describes each unit of work (a cell, a
row) by a JSON-able *config*: model id and weights provenance (`weights_provenance`), every prompt field,
seed, settings, and the *content* hash (`content_hash`) of every file it reads (direction, eraser, audio).
Paths alone never identify a file: the same path with other bytes is another config.

API (small on purpose; other commands reuse it):
- `fingerprint(config)`: canonical hash of a config (key order and tuple/list spelling do not matter).
- `stamp(config)`: the two keys to merge into the unit's result.json (`config_fingerprint`, `cell_config`).
- `finished_cell(cell_dir, config, required, policy, on_stale)`: the saved result.json of a cell finished
  under `config`; None when the cell is absent or incomplete; for a cell made under *another* config either
  None after saying so through `on_stale(message)` and deleting its result.json (policy "recompute": a
  recompute that is killed midway never counts as finished), or `StaleResultError` (policy "refuse").
- `differences(old, new)`: the dotted keys whose values differ, for those messages.
- `check_policy(policy)`: validate a policy name up front (before any work is done).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from tts_interp.core.errors import BadInputError, UnknownNameError
from tts_interp.core.paths import file_sha256
from tts_interp.core.results import to_jsonable

POLICIES = ("recompute", "refuse")
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".onnx", ".npz", ".npy", ".json", ".model")
_HASHES: dict[tuple[str, int, int], str] = {}


class StaleResultError(BadInputError):
    """A finished unit of work in the output directory was made under another configuration."""


def canonical_json(config: Any) -> str:
    """The one JSON spelling of a config: sorted keys, tuples as lists, paths as strings, no whitespace."""
    return json.dumps(to_jsonable(config), sort_keys=True, separators=(",", ":"))


def fingerprint(config: Any) -> str:
    """SHA-256 (first 16 hex digits) of the canonical JSON of `config`."""
    return hashlib.sha256(canonical_json(config).encode()).hexdigest()[:16]


def content_hash(path: str | Path) -> str:
    """SHA-256 of a file's bytes, memoised per (path, size, mtime) within the process; 'missing' if absent."""
    path = Path(path)
    if not path.is_file():
        return "missing"
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _HASHES:
        _HASHES[key] = file_sha256(path)
    return _HASHES[key]


def weights_provenance(model_id: str, checkpoint: str | Path | None) -> dict[str, Any]:
    """Model id, checkpoint directory and a content digest over its weight and config files."""
    if checkpoint is None or not Path(checkpoint).exists():
        return {"model_id": model_id, "checkpoint": None, "weights_sha256": None}
    root = Path(checkpoint)
    files = sorted(p for p in ([root] if root.is_file() else root.rglob("*"))
                   if p.is_file() and p.suffix in WEIGHT_SUFFIXES)
    digest = hashlib.sha256()
    for path in files:
        digest.update(f"{path.relative_to(root) if path != root else path.name}={content_hash(path)}\n".encode())
    return {"model_id": model_id, "checkpoint": str(root), "n_files": len(files),
            "weights_sha256": digest.hexdigest()}


def adapter_weights(adapter: Any) -> dict[str, Any]:
    """The weights a loaded model runs on, for any family: its checkpoint's digest (`weights_provenance`), or, for
    a family whose weights are built rather than read from a checkpoint folder (Kokoro's int8 conversion), the
    provenance it records (the ONNX sha256 it was converted from)."""
    if getattr(adapter, "checkpoint", None) is not None:
        return weights_provenance(adapter.model_id, adapter.checkpoint)
    return {"model_id": adapter.model_id, **(adapter.describe().get("provenance") or {"weights_sha256": None})}


def stamp(config: Any) -> dict[str, Any]:
    """The keys a unit's result.json records so that a resume can check it: the config and its fingerprint."""
    return {"config_fingerprint": fingerprint(config), "cell_config": to_jsonable(config)}


def differences(old: Any, new: Any, prefix: str = "") -> list[str]:
    """Dotted keys where two JSON configs differ (a whole subtree is named once)."""
    old, new = to_jsonable(old), to_jsonable(new)
    if isinstance(old, dict) and isinstance(new, dict):
        keys = sorted(set(old) | set(new))
        return [d for k in keys for d in differences(old.get(k), new.get(k), f"{prefix}{k}.")]
    return [] if canonical_json(old) == canonical_json(new) else [prefix.rstrip(".") or "(config)"]


def _describe(cell_dir: Path, old: Any, new: Any) -> str:
    changed = differences(old, new) if old is not None else ["(no recorded config: made by an older version)"]
    shown = ", ".join(changed[:6]) + (f", ... ({len(changed)} in all)" if len(changed) > 6 else "")
    return f"{cell_dir} was made under another configuration (differs in: {shown})"


def check_policy(policy: str) -> str:
    """`policy` if it is one of POLICIES, else UnknownNameError."""
    if policy not in POLICIES:
        raise UnknownNameError("stale-result policy", policy, POLICIES)
    return policy


def finished_cell(cell_dir: Path, config: Any, required: Iterable[str] = (), policy: str = "recompute",
                  on_stale: Callable[[str], None] | None = None) -> dict[str, Any] | None:
    """The result.json of `cell_dir` if it was finished under exactly `config` (and `required` files exist).

    None when there is nothing finished to reuse. A cell finished under another config is refused
    (policy "refuse": StaleResultError naming what differs) or invalidated (policy "recompute": its
    result.json is removed and `on_stale` is told why), so old outputs are never paired with a new config.
    """
    check_policy(policy)
    cell_dir = Path(cell_dir)
    result_path = cell_dir / "result.json"
    if not result_path.is_file():
        return None
    try:
        result = json.loads(result_path.read_text())
    except (OSError, json.JSONDecodeError):
        result = {}
    complete = all((cell_dir / name).is_file() for name in required)
    if complete and result.get("config_fingerprint") == fingerprint(config):
        return result
    message = (_describe(cell_dir, result.get("cell_config"), config) if complete and result
               else f"{cell_dir} is incomplete (a run was interrupted)")
    if policy == "refuse" and complete and result:
        raise StaleResultError(f"{message}; use a new --out directory, or rerun with --on-stale recompute")
    result_path.unlink(missing_ok=True)
    if on_stale is not None:
        on_stale(f"{message}: recomputing it")
    return None
