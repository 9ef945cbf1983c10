"""Activation stores: where reads go. In memory, or streamed to disk as safetensors shards plus an index.

The disk store flushes a shard whenever its buffer passes `shard_mb`, so reading every layer at every frame
never holds the whole run in RAM; a writer thread saves each shard while the model runs on. Each site's rows
come with their labels (position, frame, codebook); a whole-activation read is labelled by its template row and
count (format /2), not one label per row.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from tts_interp.tracing.clock import Positions, Row

FORMAT = "tts-interp-activations/2"  # /1 listed every row's label; /2 may give a template and a count


@dataclass
class SiteRows:
    """All rows read at one site: activations (n, H) and one label per row."""

    values: torch.Tensor
    rows: list[Row]

    def frames(self) -> list[int | None]:
        return [r.frame for r in self.rows]


class MemoryStore:
    """Keeps every read in memory (CPU)."""

    def __init__(self) -> None:
        self._values: dict[str, list[torch.Tensor]] = {}
        self._rows: dict[str, list[Sequence[Row]]] = {}

    def add(self, site: str, values: torch.Tensor, rows: Sequence[Row]) -> None:
        self._values.setdefault(site, []).append(_copy(values, None))
        self._rows.setdefault(site, []).append(rows)

    def sites(self) -> list[str]:
        return list(self._values)

    def get(self, site: str) -> SiteRows:
        if site not in self._values:
            raise KeyError(f"nothing was read at {site}; read sites: {', '.join(self._values) or 'none'}")
        return SiteRows(torch.cat(self._values[site]), list(itertools.chain.from_iterable(self._rows[site])))

    def close(self) -> None:
        """Nothing to flush in memory."""


@dataclass
class _Shard:
    tensors: dict[str, torch.Tensor] = field(default_factory=dict)
    nbytes: int = 0


class DiskStore:
    """Streams reads to `directory/shard-XXXXX.safetensors` and writes `index.json` describing them."""

    def __init__(self, directory: Path, shard_mb: float = 64.0, dtype: torch.dtype | None = None):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.shard_bytes = int(shard_mb * 2**20)
        self.dtype = dtype
        self._shard = _Shard()
        self._n_shards = 0
        self._chunks: dict[str, list[dict[str, Any]]] = {}
        self._counter = 0
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tts-interp-store")
        self._pending: list[Future] = []

    def add(self, site: str, values: torch.Tensor, rows: Sequence[Row]) -> None:
        tensor = _copy(values, self.dtype)
        key = f"{site}#{self._counter}"
        self._counter += 1
        self._shard.tensors[key] = tensor
        self._shard.nbytes += tensor.numel() * tensor.element_size()
        labels = ({"template": _row_json(rows.template), "count": rows.count} if isinstance(rows, Positions)
                  else {"rows": [_row_json(r) for r in rows]})
        self._chunks.setdefault(site, []).append({"shard": self._n_shards, "key": key, **labels})
        if self._shard.nbytes >= self.shard_bytes:
            self._flush()

    def _flush(self) -> None:
        """Hand the shard (and the index as it stands) to the writer thread; the run goes on meanwhile."""
        if not self._shard.tensors:
            return
        shard, path = self._shard.tensors, self.directory / f"shard-{self._n_shards:05d}.safetensors"
        self._n_shards += 1
        self._shard = _Shard()
        self._pending.append(self._writer.submit(_save_shard, shard, path, self._index_text()))

    def _index_text(self) -> str:
        return json.dumps({"format": FORMAT, "shards": self._n_shards, "sites": self._chunks})

    def close(self) -> None:
        """Flush the last shard, wait for the writer (raising what it raised), then write the index."""
        self._flush()
        pending, self._pending = self._pending, []
        for future in pending:
            future.result()
        self._writer.shutdown(wait=True)
        _write_index(self.directory, self._index_text())

    def sites(self) -> list[str]:
        return list(self._chunks)

    def get(self, site: str) -> SiteRows:
        return load_site(self.directory, site)


def _copy(values: torch.Tensor, dtype: torch.dtype | None) -> torch.Tensor:
    """One contiguous CPU copy of a live activation (in `dtype` if given): a single copy, whatever its layout."""
    out = torch.empty(values.shape, dtype=dtype or values.dtype, device="cpu")
    return out.copy_(values.detach())


def _save_shard(tensors: dict[str, torch.Tensor], path: Path, index: str) -> None:
    """The writer thread's job: the shard, then the index that covers it (so the index never names a shard that
    is not on disk)."""
    save_file(tensors, str(path))
    _write_index(path.parent, index)


def _write_index(directory: Path, text: str) -> None:
    tmp = directory / "index.json.tmp"
    tmp.write_text(text)
    tmp.replace(directory / "index.json")


def _row_json(row: Row) -> list[Any]:
    """A row label as a list: (position, frame, codebook), plus (step, t) for denoiser rows."""
    plain = [row.position, row.frame, row.codebook]
    return plain if row.step is None else plain + [row.step, row.t]


def load_site(directory: Path, site: str) -> SiteRows:
    """Read one site's rows back from a disk store written by DiskStore."""
    directory = Path(directory)
    index = json.loads((directory / "index.json").read_text())
    if site not in index["sites"]:
        raise KeyError(f"nothing was stored at {site}; stored sites: {', '.join(index['sites']) or 'none'}")
    values, rows, loaded = [], [], {}
    for chunk in index["sites"][site]:
        if chunk["shard"] not in loaded:
            loaded[chunk["shard"]] = load_file(str(directory / f"shard-{chunk['shard']:05d}.safetensors"))
        values.append(loaded[chunk["shard"]][chunk["key"]])
        rows += Positions(Row(*chunk["template"]), chunk["count"]) if "template" in chunk else \
            [Row(*r) for r in chunk["rows"]]
    return SiteRows(torch.cat(values), rows)


def site_summary(store: Any) -> dict[str, dict[str, Any]]:
    """Per site read into `store`: its rows, width and first/last frame (None where rows carry no frame)."""
    summary = {}
    for site in store.sites():
        rows = store.get(site)
        frames = [f for f in rows.frames() if f is not None]
        summary[site] = {"rows": int(rows.values.shape[0]), "dim": int(rows.values.shape[1]),
                         "frames": [min(frames), max(frames)] if frames else None}
    return summary
