"""One run directory as the report sees it: its result.json, its files, and how its media go into the page.

Paths inside result.json, CSVs and manifests are relative to the run directory, absolute, or (as some
commands record their inputs) relative to where the command ran; `find` tries them in that order.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tts_interp.report import html


@dataclass
class RunDir:
    """A run or suite directory being rendered into a page written in `page_dir`."""

    path: Path
    result: dict[str, Any]
    page_dir: Path
    embed_audio_below: int = 0
    shown_plots: set[str] = field(default_factory=set)

    @property
    def command(self) -> str:
        return str(self.result.get("command", ""))

    def find(self, name: Any) -> Path | None:
        """An existing file named in this run's outputs, or None."""
        if not isinstance(name, str) or not name:
            return None
        candidate = Path(name)
        for path in ([candidate] if candidate.is_absolute() else [self.path / candidate, Path.cwd() / candidate]):
            if path.is_file():
                return path
        return None

    def csv_rows(self, name: str) -> list[dict[str, str]]:
        path = self.find(name)
        if path is None:
            return []
        with path.open(newline="") as handle:
            return list(csv.DictReader(handle))

    def jsonl_rows(self, name: str) -> list[dict[str, Any]]:
        path = self.find(name)
        if path is None:
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]

    def player(self, name: Any, label: str) -> str:
        """An audio player for a file of this run, or a note when it is missing."""
        path = self.find(name)
        if path is None:
            return f"<span class=clip>{html.esc(label)}: missing</span>" if name else ""
        return html.audio(html.audio_src(path, self.page_dir, self.embed_audio_below), label)

    def clips(self, cell: Any, refs: Mapping[str, Iterable[Any]] | None = None) -> html.Cell:
        """A table cell with the cell's own audio beside its reference clips (source, target, reference)."""
        parts = [self.player(cell, "cell")] if cell else []
        for role, names in (refs or {}).items():
            parts.extend(self.player(n, role) for n in names if n)
        return html.Cell(f"<div class=clips>{''.join(parts)}</div>", None)

    def plots(self, names: Iterable[str] | None = None) -> str:
        """Embed the named PNGs (default: those the result lists, then every other PNG in the directory)."""
        if names is None:
            listed = self.result.get("plots") or []
            single = self.result.get("plot")
            names = list(listed) + ([single] if isinstance(single, str) else [])
            names += sorted(p.name for p in self.path.glob("*.png") if p.name not in names)
        out = []
        for name in names:
            path = self.find(name)
            if path is not None and str(path) not in self.shown_plots:
                self.shown_plots.add(str(path))
                out.append(html.figure(path, Path(name).stem.replace("_", " ")))
        return "".join(out)


REF_ROLES = ("source", "target", "reference")


def reference_clips(row: Mapping[str, Any], base: Path) -> dict[str, list[str]]:
    """A manifest row's or work item's reference clips by role, absolute; a role is a path, a list of them,
    or `{speaker, clips}`."""
    out = {}
    for role in REF_ROLES:
        value = row.get(role)
        if isinstance(value, Mapping):
            value = value.get("clips") or []
        if isinstance(value, str):
            value = [value]
        clips = [str(Path(v) if Path(v).is_absolute() else Path(base) / v) for v in value or [] if isinstance(v, str)]
        if clips:
            out[role] = clips
    return out


def load_result(path: Path) -> dict[str, Any]:
    """A directory's result.json as a dict ({} when it has none)."""
    file = Path(path) / "result.json"
    return json.loads(file.read_text()) if file.is_file() else {}


def number(value: Any) -> Any:
    """A CSV string as int or float where it is one (tables sort numerically), else the string itself."""
    if not isinstance(value, str):
        return value
    if value == "":
        return None
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value
