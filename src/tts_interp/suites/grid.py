"""Grids of experiment cells: an entry's fixed fields x its `grid:` axes -> one config per cell, with an id.

An entry looks like `{kind: steer, model: M, text: T, grid: {speaker: [a, b], alpha: [0, 2], seed: [0, 1]}}`:
every field is either fixed or one axis of the grid (never both), and each cell is the fixed fields plus
one value of every axis. A cell's id is the hash of its full configuration (kind, every field after
defaults, the identity of its inputs such as a direction's content hash, and the scoring config), so the
same cell always gets the same id and any change to what it computes gives a new one.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

from tts_interp.core.errors import BadInputError
from tts_interp.core.fingerprint import canonical_json, fingerprint

REQUIRED = object()  # the default of a field that every cell must state
ENTRY_KEYS = ("kind", "grid")


def expand_grid(entry: Mapping[str, Any], fields: Mapping[str, Any], kind: str) -> list[dict[str, Any]]:
    """The cells of one suite entry: defaults, then fixed fields, then one combination of the grid's axes."""
    grid = entry.get("grid") or {}
    if not isinstance(grid, Mapping):
        raise BadInputError(f"'grid' of a {kind!r} item must be a mapping of field -> list of values, got {grid!r}")
    fixed = {k: v for k, v in entry.items() if k not in ENTRY_KEYS}
    valid = ", ".join(fields)
    for name in list(fixed) + list(grid):
        if name not in fields:
            raise BadInputError(f"unknown field {name!r} in a {kind!r} item; valid: {valid} (and 'grid')")
    both = sorted(set(fixed) & set(grid))
    if both:
        raise BadInputError(f"field(s) {both} of a {kind!r} item are both fixed and in 'grid'; give each once")
    for name, values in grid.items():
        if not isinstance(values, list) or not values:
            raise BadInputError(f"grid axis {name!r} of a {kind!r} item must be a non-empty list, got {values!r}")
    defaults = {k: v for k, v in fields.items() if v is not REQUIRED}
    cells = []
    for combo in itertools.product(*grid.values()):
        cell = {**defaults, **fixed, **dict(zip(grid, combo, strict=True))}
        missing = [k for k, v in fields.items() if v is REQUIRED and k not in cell]
        if missing:
            raise BadInputError(f"a {kind!r} item needs field(s) {missing} (fixed or in 'grid')")
        cells.append(cell)
    return cells


def cell_id(kind: str, config: Mapping[str, Any], scoring: Mapping[str, Any]) -> str:
    """The stable id of a cell: its kind and the hash of its full configuration and the scoring config."""
    return f"{kind}-{fingerprint({'kind': kind, 'config': config, 'scoring': scoring})}"


def grid_columns(items: Sequence[Any]) -> dict[str, dict[str, Any]]:
    """{field: {work id: value}} for every config field that is not the same in every experiment cell."""
    configs = {w.id: w.spec["config"] for w in items if isinstance(w.spec.get("config"), dict)}
    out = {}
    for name in sorted({k for config in configs.values() for k in config}):
        values = {work_id: config.get(name) for work_id, config in configs.items()}
        if len({canonical_json(v) for v in values.values()}) > 1:
            out[name] = {work_id: "" if v is None else v if isinstance(v, (str, int, float)) else canonical_json(v)
                         for work_id, v in values.items()}
    return out
