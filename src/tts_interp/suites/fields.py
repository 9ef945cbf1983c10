"""Checks of one cell's fields when a suite is loaded: one clear line naming the field and what it needs.

Files a cell reads are made absolute (relative to the suite file) and their content hash is put next to
them in the config, so a cell's id changes when a file it reads changes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tts_interp.core.errors import BadInputError
from tts_interp.core.fingerprint import content_hash, weights_provenance


def string(config: Mapping[str, Any], name: str, optional: bool = False) -> str | None:
    value = config.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value.strip():
        raise BadInputError(f"field {name!r} must be a non-empty string, got {value!r}")
    return value


def integer(config: Mapping[str, Any], name: str, minimum: int | None = None) -> int:
    value = config.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or (minimum is not None and value < minimum):
        need = f"an integer >= {minimum}" if minimum is not None else "an integer"
        raise BadInputError(f"field {name!r} must be {need}, got {value!r}")
    return value


def number(config: Mapping[str, Any], name: str) -> float:
    value = config.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise BadInputError(f"field {name!r} must be a finite number, got {value!r}")
    return float(value)


def boolean(config: Mapping[str, Any], name: str) -> bool:
    value = config.get(name)
    if not isinstance(value, bool):
        raise BadInputError(f"field {name!r} must be true or false, got {value!r}")
    return value


def integers(config: Mapping[str, Any], name: str) -> list[int]:
    """An integer or a non-empty list of integers, as a list."""
    value = config.get(name)
    values = [value] if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(values, list) or not values or any(isinstance(v, bool) or not isinstance(v, int)
                                                         for v in values):
        raise BadInputError(f"field {name!r} must be an integer or a list of integers, got {value!r}")
    return values


def choice(config: Mapping[str, Any], name: str, valid: tuple[str, ...]) -> str:
    value = config.get(name)
    if value not in valid:
        raise BadInputError(f"field {name!r} is {value!r}; valid: {', '.join(valid)}")
    return value


def input_file(config: Mapping[str, Any], name: str, base: Path) -> tuple[str, str]:
    """A file a cell reads: its absolute path and the SHA-256 of its bytes."""
    value = string(config, name)
    path = Path(value).expanduser()
    path = path if path.is_absolute() else (base / path).resolve()
    if not path.is_file():
        raise BadInputError(f"field {name!r}: file {path} does not exist")
    return str(path), content_hash(path)


def unknown(mapping: Mapping[str, Any], valid: tuple[str, ...], where: str) -> None:
    bad = sorted(set(mapping) - set(valid))
    if bad:
        raise BadInputError(f"{where}: unknown key(s) {bad}; valid: {', '.join(valid)}")


def model_weights(config: Mapping[str, Any], name: str, base: Path) -> dict[str, Any]:
    """A model or codec field; a local checkpoint directory is made absolute and its weights hashed.

    Built-in ids and hub ids stay names (a built-in's weights are fixed by its id; a hub id's snapshot is
    recorded by the run's own result.json and the row's `weights`).
    """
    value = string(config, name)
    path = Path(value).expanduser()
    path = path if path.is_absolute() else (base / path)
    if not path.exists():
        return {name: value}
    return {name: str(path.resolve()),
            f"{name}_weights_sha256": weights_provenance(value, path.resolve())["weights_sha256"]}
