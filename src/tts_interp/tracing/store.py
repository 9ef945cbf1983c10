"""Activation stores: where reads go. In memory, or streamed to disk as safetensors shards plus an index.

The disk store flushes a shard whenever its buffer passes `shard_mb`, so reading every layer at every frame
never holds the whole run in RAM. Each site's rows come with their labels (position, frame, codebook).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from tts_interp.tracing.clock import Row


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
        self._rows: dict[str, list[Row]] = {}

    def add(self, site: str, values: torch.Tensor, rows: tuple[Row, ...]) -> None:
        self._values.setdefault(site, []).append(values.detach().to("cpu").clone())
        self._rows.setdefault(site, []).extend(rows)

    def sites(self) -> list[str]:
        return list(self._values)

    def get(self, site: str) -> SiteRows:
        if site not in self._values:
            raise KeyError(f"nothing was read at {site}; read sites: {', '.join(self._values) or 'none'}")
        return SiteRows(torch.cat(self._values[site]), list(self._rows[site]))

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

    def add(self, site: str, values: torch.Tensor, rows: tuple[Row, ...]) -> None:
        tensor = values.detach().to("cpu", self.dtype or values.dtype).contiguous().clone()
        key = f"{site}#{self._counter}"
        self._counter += 1
        self._shard.tensors[key] = tensor
        self._shard.nbytes += tensor.numel() * tensor.element_size()
        self._chunks.setdefault(site, []).append(
            {"shard": self._n_shards, "key": key, "rows": [_row_json(r) for r in rows]})
        if self._shard.nbytes >= self.shard_bytes:
            self._flush()

    def _flush(self) -> None:
        if not self._shard.tensors:
            return
        save_file(self._shard.tensors, str(self.directory / f"shard-{self._n_shards:05d}.safetensors"))
        self._n_shards += 1
        self._shard = _Shard()
        self._write_index()

    def _write_index(self) -> None:
        index = {"format": "tts-interp-activations/1", "shards": self._n_shards, "sites": self._chunks}
        tmp = self.directory / "index.json.tmp"
        tmp.write_text(json.dumps(index))
        tmp.replace(self.directory / "index.json")

    def close(self) -> None:
        """Flush the last shard and the index."""
        self._flush()
        self._write_index()

    def sites(self) -> list[str]:
        return list(self._chunks)

    def get(self, site: str) -> SiteRows:
        return load_site(self.directory, site)


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
        rows += [Row(*r) for r in chunk["rows"]]
    return SiteRows(torch.cat(values), rows)
