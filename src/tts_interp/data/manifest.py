"""One schema for a list of clips, read the same way by `eval`, `features`, `codes` and suites.

A row is a JSON object (one per line of a .jsonl file), a CSV row under a header, or an entry of a .json file's
`clips` list. Fields: `id`, `audio` (relative to the manifest), and as a command needs them `text`, `speaker`,
`alignment`, `reference` / `source` / `target` (speaker clips for scoring); any other field is the user's own
and is carried through. The older names `path` and `file` are read as `audio`, with a one-line note.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from tts_interp.core.errors import BadInputError

CLIP_FIELDS = ("id", "audio", "text", "speaker", "alignment", "reference", "source", "target")
OLD_NAMES = {"path": "audio", "file": "audio"}


def canonical(row: dict[str, Any]) -> dict[str, Any]:
    """The row with its old column names read as the schema's (`audio` wins when a row has both)."""
    renamed = {OLD_NAMES.get(k, k): v for k, v in row.items() if k not in OLD_NAMES}
    for old, new in OLD_NAMES.items():
        if old in row and new not in renamed:
            renamed[new] = row[old]
    return renamed


def old_names_note(manifest: Path, rows: Iterable[Any]) -> str | None:
    """One line when the rows use old column names (None when they do not)."""
    used = sorted({k for row in rows if isinstance(row, dict) for k in row if k in OLD_NAMES})
    if not used:
        return None
    return (f"note: {Path(manifest).name}: column {' and '.join(repr(u) for u in used)} read as 'audio' (one "
            f"schema for clip lists: {', '.join(CLIP_FIELDS)}); rename it to silence this note")


def manifest_note(source: Path | str) -> str | None:
    """The old-names note of a manifest file (None for anything else: a corpus name, a folder, a bad file)."""
    path = Path(source)
    if not path.is_file():
        return None
    try:
        return old_names_note(path, (row for _, row in raw_rows(path)))
    except BadInputError:
        return None


def _cell(text: str) -> Any:
    """A CSV cell: JSON lists/objects (speaker fields, labels) are parsed, anything else stays a string."""
    if text[:1] in "[{":
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text
    return text


def raw_rows(path: Path) -> Iterator[tuple[int, Any]]:
    """(line number, row) of a manifest (.csv, .json, else JSONL); a row that does not parse comes as the message saying why (the caller
    decides whether that stops the run). Empty CSV cells are absent."""
    path = Path(path)
    suffix = path.suffix.lower()  # anything but .csv and .json is read as JSONL
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise BadInputError(f"manifest {path} is not UTF-8 text: {exc.reason}") from None
    if suffix == ".csv":
        for number, row in enumerate(csv.DictReader(io.StringIO(text)), 2):
            if None in row:
                yield number, f"line {number} has more cells than the header"
            else:
                yield number, {k.strip(): _cell(v.strip()) for k, v in row.items() if k and v not in (None, "")}
        return
    if suffix == ".json":
        try:
            clips = json.loads(text).get("clips", [])
        except (json.JSONDecodeError, AttributeError) as exc:
            raise BadInputError(f"manifest {path} is not a JSON object with a clips list: {exc}") from None
        yield from enumerate(clips, 1)
        return
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, f"line {number} is not JSON: {exc.msg}"
