"""Encoding a dataset with a codec, batched, with a per-utterance cache keyed by codec + file content hash.

Reruns skip finished work: an utterance whose file has not changed is read back from the cache, which also
holds other per-utterance, per-codec arrays (frame F0 for pitch probes). Per-codebook embeddings are not
stored: they are an exact table lookup of the codes (`codec.codebook_table(k)[codes[:, k]]`), free to redo,
and storing them would cost n_codebooks x dim floats per frame.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

from tts_interp.codecs.base import RVQCodec
from tts_interp.core.audio import load_audio
from tts_interp.core.errors import TTSInterpError
from tts_interp.core.paths import cache_dir, file_sha256
from tts_interp.data.datasets import Dataset, Utterance


def codec_fingerprint(codec: RVQCodec) -> str:
    """The cache key's codec half: its id and shape (two checkpoints under one id must not share entries)."""
    text = json.dumps(codec.describe(), sort_keys=True)
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in codec.codec_id)[-60:]
    return f"{safe}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"


class CodesCache:
    """One .npz per (codec, file hash) under `root/<codec fingerprint>/`, updated atomically."""

    def __init__(self, codec: RVQCodec, root: Path | None = None):
        self.root = Path(root or cache_dir() / "codes") / codec_fingerprint(codec)
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        return self.root / f"{key}.npz"

    def get(self, key: str) -> dict[str, np.ndarray]:
        """The arrays stored for `key` (empty if none or unreadable)."""
        path = self.path(key)
        if not path.is_file():
            return {}
        try:
            with np.load(path) as npz:
                return {name: npz[name] for name in npz.files}
        except (OSError, ValueError):
            return {}

    def update(self, key: str, **arrays: np.ndarray) -> None:
        """Add or replace arrays for `key`, keeping the others."""
        merged = self.get(key) | arrays
        tmp = self.path(key).with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(tmp, **merged)
        os.replace(tmp, self.path(key))


@dataclass
class EncodedUtterance:
    """An utterance, its codes (frames, n_codebooks) and the cache key of its file."""

    utterance: Utterance
    codes: np.ndarray
    key: str


@dataclass
class EncodedSet:
    """What encoding a dataset produced: items in dataset order, skipped rows, notes (e.g. downmixing)."""

    items: list[EncodedUtterance]
    skipped: list[dict[str, str]] = field(default_factory=list)
    notes: list[dict[str, str]] = field(default_factory=list)
    cached: int = 0


def encode_dataset(
    codec: RVQCodec,
    dataset: Dataset,
    cache: CodesCache | None = None,
    batch_size: int = 8,
    progress: Callable[[int], None] | None = None,
) -> EncodedSet:
    """Encode every utterance (cached ones are read back); bad files are skipped with their reason."""
    result = EncodedSet([], list(dataset.skipped))
    pending: list[tuple[Utterance, str, np.ndarray]] = []
    done: dict[str, EncodedUtterance] = {}

    def flush() -> None:
        codes = codec.encode([wave for _, _, wave in pending])
        for (utt, key, _), utt_codes in zip(pending, codes, strict=True):
            if cache is not None:
                cache.update(key, codes=utt_codes)
            done[utt.utt_id] = EncodedUtterance(utt, utt_codes, key)
        if progress:
            progress(len(pending))
        pending.clear()

    for utt in sorted(dataset.utterances, key=lambda u: u.path.stat().st_size):
        try:
            key = file_sha256(utt.path)[:24]
            stored = cache.get(key).get("codes") if cache is not None else None
            if stored is not None:
                done[utt.utt_id] = EncodedUtterance(utt, stored.astype(np.int64), key)
                result.cached += 1
                if progress:
                    progress(1)
                continue
            audio = load_audio(utt.path, codec.sample_rate, min_seconds=1.0 / codec.frame_rate)
            channels = sf.info(str(utt.path)).channels
        except (TTSInterpError, RuntimeError, OSError) as exc:
            result.skipped.append({"item": utt.utt_id, "reason": str(exc)})
            if progress:
                progress(1)
            continue
        if channels > 1:
            result.notes.append({"item": utt.utt_id, "note": f"{channels} channels, downmixed to mono"})
        pending.append((utt, key, audio.samples))
        if len(pending) >= batch_size:
            flush()
    if pending:
        flush()
    result.items = [done[u.utt_id] for u in dataset.utterances if u.utt_id in done]
    return result
