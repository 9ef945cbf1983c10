"""Where tts-interp keeps its cache (built-in tiny checkpoints, embedding caches)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def cache_dir() -> Path:
    """The cache root: `TTS_INTERP_CACHE` if set, else the user cache dir."""
    root = os.environ.get("TTS_INTERP_CACHE")
    path = Path(root) if root else Path(platformdirs.user_cache_dir("tts-interp"))
    path.mkdir(parents=True, exist_ok=True)
    return path
