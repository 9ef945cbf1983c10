"""The append-only results store of a suite run: one JSONL file per shard under OUT/results/.

A row is written with one write() and flushed + fsynced before the next item counts as done, so a kill
loses at most the row being written. On open, a torn last line (no newline) is cut off; on read, rows are
merged across shard files keeping the first row per work id.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

RESULTS_DIR = "results"


def shard_file(out_dir: Path, shard: tuple[int, int]) -> Path:
    return Path(out_dir) / RESULTS_DIR / f"shard-{shard[0]}-of-{shard[1]}.jsonl"


def _repair(path: Path) -> None:
    """Cut a torn last line (a write killed mid-row) so appends start on a fresh line."""
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        with open(path, "r+b") as handle:
            handle.truncate(data.rfind(b"\n") + 1)


class ResultWriter:
    """Appends finished rows to one shard's file."""

    def __init__(self, out_dir: Path, shard: tuple[int, int]):
        self.path = shard_file(out_dir, shard)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists():
            _repair(self.path)
        self.handle = open(self.path, "a", encoding="utf-8")

    def append(self, row: dict[str, Any]) -> None:
        self.handle.write(json.dumps(row, default=str) + "\n")
        self.handle.flush()
        os.fsync(self.handle.fileno())

    def close(self) -> None:
        self.handle.close()


def read_rows(out_dir: Path) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """All finished rows across shard files and counts of what was dropped: per work id the first ok row, else
    the last failed one (a retry replaces a failure, never a success)."""
    rows: dict[str, dict[str, Any]] = {}
    torn = duplicates = retried = 0
    for path in sorted((Path(out_dir) / RESULTS_DIR).glob("shard-*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines(keepends=True):
            if not line.endswith("\n"):
                torn += 1
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                torn += 1
                continue
            previous = rows.get(row["work_id"])
            if previous is not None and previous.get("status") != "failed":
                duplicates += 1
                continue
            retried += previous is not None
            rows[row["work_id"]] = row
    return list(rows.values()), {"torn_lines": torn, "duplicate_rows": duplicates, "retried_rows": retried}
