"""What an experiment kind is, and the context one cell runs in (on the driver or on a Ray worker).

A kind states its fields (with defaults), checks and normalises one cell's config when the suite is loaded
(no model needed), and runs a cell: it writes its outputs under the context's scratch folder, in the
layout they get under the suite's OUT (`cells/<id>/...` for the cell, `refs/<hash>/...` for reference
runs shared by many cells, named by their own config), and returns what to score. The driver copies those
files into OUT and appends the scored row, so it is the only writer.

Models, codecs and reference runs are kept per process (a small LRU), so a worker loads each model once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tts_interp.core.fingerprint import fingerprint
from tts_interp.core.lru import LRU
from tts_interp.evals.items import BadRow, EvalItem

MODELS_PER_PROCESS = 4
MEMO_PER_PROCESS = 64


_MODELS = LRU(MODELS_PER_PROCESS)
_MEMO = LRU(MEMO_PER_PROCESS)


def cached_model(kind: str, key: Mapping[str, Any], load: Callable[[], Any]) -> Any:
    """A loaded model (session, codec), made once per process for the same kind and key."""
    return _MODELS.get_or_make(f"{kind}:{fingerprint(dict(key))}", load)


def read_tree(root: Path, prefix: str) -> dict[str, bytes]:
    """Every file under `root` as {prefix/relative path: bytes} (no prefix: paths relative to `root`)."""
    lead = f"{prefix}/" if prefix else ""
    return {lead + p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@dataclass
class CellContext:
    """Where a cell writes (scratch, laid out like OUT), its input files, and the per-process caches."""

    work_id: str
    scratch: Path
    inputs: Mapping[str, Path] = field(default_factory=dict)

    @property
    def cell_dir(self) -> Path:
        return self.scratch / "cells" / self.work_id

    def model(self, kind: str, key: Mapping[str, Any], load: Callable[[], Any]) -> Any:
        """A loaded model (session, codec), made once per process for the same kind and key."""
        return cached_model(kind, key, load)

    def memo(self, kind: str, key: Mapping[str, Any], make: Callable[[], Any]) -> Any:
        """A deterministic intermediate (a calibration, a cached source run), made once per process."""
        return _MEMO.get_or_make(f"{kind}:{fingerprint(dict(key))}", make)

    def reference(self, key: Mapping[str, Any], produce: Callable[[Path], None]) -> Path:
        """A reference run shared by cells: `produce(dir)` writes it once per process; returns its audio.wav.

        It lands in OUT/refs/<hash of key>/, so every cell that needs the same run points at one file.
        """
        rel = f"refs/{fingerprint(dict(key))}"

        def make() -> dict[str, bytes]:
            produce(self.scratch / rel)
            return read_tree(self.scratch / rel, rel)

        for name, data in _MEMO.get_or_make(f"ref:{rel}", make).items():
            path = self.scratch / name
            if not path.is_file():
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
        return self.scratch / rel / "audio.wav"


@dataclass(frozen=True)
class Produced:
    """What a cell made: the item to score (paths under scratch), and the cell's own numbers."""

    item: EvalItem | BadRow
    extra: dict[str, Any]


@dataclass(frozen=True)
class ExperimentKind:
    """One kind of suite cell: its fields, its config check, how it runs, the stage entries it reads (stage kind ->
    the entry's name, e.g. {"direction": "to_cleo"}), and a check of its config against those entries."""

    fields: Mapping[str, Any]
    check: Callable[[dict[str, Any], Path], dict[str, Any]]
    run: Callable[[str, dict[str, Any], CellContext], Produced]
    inputs: Callable[[dict[str, Any]], dict[str, str]] = lambda config: {}
    description: str = ""
    check_inputs: Callable[[dict[str, Any], dict[str, Any]], None] = lambda config, artefacts: None
