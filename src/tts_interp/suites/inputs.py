"""Input files travel with their job: a worker on another node never needs the driver's paths.

A cell's config names each file it reads as `KEY: path` next to `KEY_sha256: digest` (fields.input_file),
at the top level or inside a voice mapping. The driver sends those files' bytes (checked against the
digest, so a file changed since the suite was loaded is refused); the worker writes them into its scratch
folder and runs the cell on a copy of the config that points there. Ids and OUT keep the original paths.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tts_interp.core.errors import BadInputError
from tts_interp.core.paths import file_sha256

SUFFIX = "_sha256"


def _file_keys(config: dict[str, Any]) -> Iterator[tuple[dict[str, Any], str]]:
    for key, value in config.items():
        if isinstance(value, dict):
            yield from _file_keys(value)
        elif key.endswith(SUFFIX) and isinstance(config.get(key[:-len(SUFFIX)]), str):
            yield config, key[:-len(SUFFIX)]


def pack_files(config: dict[str, Any]) -> dict[str, bytes]:
    """{digest: bytes} of every file the config reads (driver side)."""
    out = {}
    for holder, key in _file_keys(config):
        path, digest = Path(holder[key]), holder[key + SUFFIX]
        if not path.is_file() or file_sha256(path) != digest:
            raise BadInputError(f"input file {path} is missing or changed since the suite was loaded; load the "
                                "suite again (its cells' ids follow the file's content)")
        out[digest] = path.read_bytes()
    return out


def unpack_files(config: dict[str, Any], files: dict[str, bytes], directory: Path) -> dict[str, Any]:
    """A copy of `config` whose file paths point at the shipped bytes, written under `directory` (worker side)."""
    import copy

    local = copy.deepcopy(config)
    for holder, key in _file_keys(local):
        digest = holder[key + SUFFIX]
        target = directory / f"{digest}{Path(holder[key]).suffix}"
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(files[digest])
        holder[key] = str(target)
    return local
