"""What gets scored: an item (audio + optional text and speaker clips) and the JSONL manifest that lists them.

Manifest rows (the one clip-list schema, data/manifest.py): `id`, `audio`, optional `text`, `reference`,
`source`, `target`; any other field is the
user's own (a label, a pair id, a weight), carried through to items.csv unchanged. A speaker field is a
path, a list of paths, or `{"speaker": NAME, "clips": [...]}`; paths are relative to the manifest. Speakers are
told apart by NAME where given, else by their set of clips (name them for an exact verifier EER).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tts_interp.core.errors import BadInputError
from tts_interp.data.manifest import canonical, raw_rows

SPEAKER_FIELDS = ("reference", "source", "target")
KNOWN_FIELDS = ("id", "audio", "text") + SPEAKER_FIELDS


@dataclass(frozen=True)
class SpeakerSet:
    """Clips of one speaker, and the name that tells this speaker apart from others."""

    name: str
    clips: tuple[Path, ...]


@dataclass(frozen=True)
class EvalItem:
    """One clip to score, with the text it should say and the speakers it should (not) sound like."""

    id: str
    audio: Path
    text: str | None = None
    reference: SpeakerSet | None = None
    source: SpeakerSet | None = None
    target: SpeakerSet | None = None
    fields: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)  # the user's own columns

    def speaker_sets(self) -> list[SpeakerSet]:
        return [s for s in (self.reference, self.source, self.target) if s is not None]


@dataclass(frozen=True)
class BadRow:
    """A manifest row that could not become an item: it is reported as a failed item."""

    id: str
    audio: str
    reason: str


def _resolve(path: Any, base: Path, where: str) -> Path:
    if not isinstance(path, str) or not path.strip():
        raise BadInputError(f"{where} must be a path string, got {path!r}")
    resolved = Path(path).expanduser()
    return resolved if resolved.is_absolute() else (base / resolved)


def parse_speaker(value: Any, base: Path, field: str) -> SpeakerSet:
    """A speaker field (path, list of paths or {speaker, clips}) as a SpeakerSet."""
    name = None
    if isinstance(value, dict):
        name, value = value.get("speaker"), value.get("clips")
        if name is not None and not isinstance(name, str):
            raise BadInputError(f"field {field!r}: speaker name must be a string, got {name!r}")
    paths = [value] if isinstance(value, str) else value
    if not isinstance(paths, list) or not paths:
        raise BadInputError(f"field {field!r} must be a path, a non-empty list of paths or "
                            f"{{'speaker': NAME, 'clips': [...]}}; got {value!r}")
    clips = tuple(sorted({_resolve(p, base, f"field {field!r}") for p in paths}))
    if name is None:
        name = "clips-" + hashlib.sha1("\n".join(map(str, clips)).encode()).hexdigest()[:10]
    return SpeakerSet(name, clips)


def parse_item(row: Any, base: Path) -> EvalItem:
    """One manifest row (a dict) as an EvalItem; BadInputError names what is wrong with it."""
    if not isinstance(row, dict):
        raise BadInputError(f"a manifest row must be a JSON object, got {type(row).__name__}")
    row = canonical(row)
    item_id = row.get("id")
    if not isinstance(item_id, (str, int)) or isinstance(item_id, bool) or str(item_id).strip() == "":
        raise BadInputError(f"field 'id' is missing or not a string/number: {item_id!r}")
    if "audio" not in row:
        raise BadInputError("field 'audio' is missing")
    text = row.get("text")
    if text is not None and not isinstance(text, str):
        raise BadInputError(f"field 'text' must be a string, got {text!r}")
    speakers = {f: parse_speaker(row[f], base, f) for f in SPEAKER_FIELDS if row.get(f) is not None}
    extra = {str(k): v for k, v in row.items() if k not in KNOWN_FIELDS}
    return EvalItem(id=str(item_id), audio=_resolve(row["audio"], base, "field 'audio'"), text=text, **speakers,
                    fields=extra)


def user_columns(fields: Iterable[dict[str, Any]], taken: tuple[str, ...]) -> dict[str, str]:
    """The user's own manifest fields in order of first appearance -> their items.csv column (prefixed
    `manifest_` where the name is one of the project's own output columns)."""
    names = dict.fromkeys(k for row_fields in fields for k in row_fields)
    return {name: f"manifest_{name}" if name in taken else name for name in names}


def read_manifest(path: Path) -> list[EvalItem | BadRow]:
    """Read a JSONL (or .csv) manifest; rows that cannot be parsed come back as BadRow (the run goes on)."""
    path = Path(path)
    if not path.is_file():
        raise BadInputError(f"manifest {path} does not exist")
    entries: list[EvalItem | BadRow] = []
    seen: set[str] = set()
    for number, row in raw_rows(path):
        fallback = f"line-{number}"
        if isinstance(row, str):
            entries.append(BadRow(fallback, "", row))
            continue
        try:
            item = parse_item(row, path.parent)
        except BadInputError as exc:
            row_id = str(row.get("id")) if isinstance(row, dict) and row.get("id") else fallback
            audio = str(row.get("audio", "")) if isinstance(row, dict) else ""
            entries.append(BadRow(row_id, audio, f"manifest line {number}: {exc}"))
            continue
        if item.id in seen:
            entries.append(BadRow(f"{item.id}@line-{number}", str(item.audio),
                                  f"manifest line {number}: duplicate id {item.id!r}"))
            continue
        seen.add(item.id)
        entries.append(item)
    if not entries:
        raise BadInputError(f"manifest {path} has no rows")
    if all(isinstance(e, BadRow) for e in entries):
        raise BadInputError(f"manifest {path}: no row could be read ({len(entries)} tried; first: "
                            f"{entries[0].reason})")
    return entries
