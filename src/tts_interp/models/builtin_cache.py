"""Built-in checkpoints in the cache: built once per recipe version, atomically, then reused.

Every family's tiny built-ins (and the tiny codecs) go through `cached_builtin`: the checkpoint is written
into a private staging directory, stamped with its recipe version, and renamed into place, so a killed build
or a parallel one never leaves a half-written checkpoint behind, and a changed recipe is rebuilt.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tts_interp.core.paths import cache_dir

STAMP_FILE = "tts_interp_builtin.json"
NOTE = "random weights built by tts-interp: the audio is noise"


def _is_current(directory: Path, recipe_version: int) -> bool:
    stamp = directory / STAMP_FILE
    return stamp.is_file() and json.loads(stamp.read_text()).get("format") == recipe_version


def cached_builtin(name: str, recipe_version: int, build: Callable[[Path], dict[str, Any]]) -> Path:
    """Return `cache_dir()/builtins/name`, first running `build(directory)` if it is missing or stale.

    `build` writes the checkpoint into the (existing, empty) directory it is given and returns details
    (seed, sizes, ...) recorded in the stamp file next to the recipe version; a `note` there replaces the
    random-weights note (real weights converted offline).
    """
    out_dir = cache_dir() / "builtins" / name
    if _is_current(out_dir, recipe_version):
        return out_dir
    staging = out_dir.with_name(f"{name}.building.{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    details = build(staging)
    (staging / STAMP_FILE).write_text(json.dumps({"note": NOTE, **details, "format": recipe_version}, indent=2))
    if _is_current(out_dir, recipe_version):  # a parallel build finished first
        shutil.rmtree(staging, ignore_errors=True)
        return out_dir
    shutil.rmtree(out_dir, ignore_errors=True)
    staging.rename(out_dir)
    return out_dir
