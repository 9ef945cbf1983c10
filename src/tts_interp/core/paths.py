"""Where tts-interp keeps its cache (built-in tiny checkpoints, embedding caches)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import platformdirs


def cache_dir() -> Path:
    """The cache root: `TTS_INTERP_CACHE` if set, else the user cache dir."""
    root = os.environ.get("TTS_INTERP_CACHE")
    path = Path(root) if root else Path(platformdirs.user_cache_dir("tts-interp"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def file_sha256(path: Path) -> str:
    """SHA-256 (hex) of a file's bytes, read in 1 MiB blocks: the content half of every cache key."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
