"""Embedding cache: one .npy per (backend, content hash) under cache_dir()/embeddings, written atomically.

Only embeddings of audio that passed every check are stored, so a hit needs no re-check; the key is the
hash of the file's bytes, so a changed file is a miss.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from tts_interp.core.paths import cache_dir


class EmbeddingCache:
    """Embeddings of one backend (its `key` names model and version), keyed by content hash."""

    def __init__(self, key: str, root: Path | None = None):
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", key)
        self.root = (root or cache_dir()) / "embeddings" / safe

    def _path(self, digest: str) -> Path:
        return self.root / digest[:2] / f"{digest}.npy"

    def get(self, digest: str) -> np.ndarray | None:
        path = self._path(digest)
        if not path.is_file():
            return None
        try:
            return np.load(path)
        except (OSError, ValueError):  # a damaged entry is a miss; it is rewritten on put
            return None

    def put(self, digest: str, embedding: np.ndarray) -> None:
        path = self._path(digest)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npy")
        np.save(tmp, np.asarray(embedding, dtype=np.float32))
        os.replace(tmp, path)
