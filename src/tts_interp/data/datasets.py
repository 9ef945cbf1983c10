"""Reading a speech dataset: a manifest (CSV or JSONL) or the LibriSpeech folder layout, read directly.

A manifest is the one clip-list schema (data/manifest.py): here a row needs `audio` (relative to the manifest)
and `speaker`, and may have `id`, `text` and `alignment` (a TextGrid or HTS .lab file); the old names `path`
and `file` still read as `audio`, with a note. A JSON manifest holds the rows as {"clips": [...]}, as in
tests/fixtures/speech. LibriSpeech is `speaker/chapter/speaker-chapter-utt.flac` with one
`speaker-chapter.trans.txt` per chapter; alignments are looked for next to each audio file (same stem,
.TextGrid or .lab) or under an `alignments_dir` that mirrors the layout (the Montreal Forced Aligner's).
Rows that point nowhere are skipped and listed, never fatal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from tts_interp.core.errors import BadInputError
from tts_interp.data.manifest import canonical, old_names_note, raw_rows

MANIFEST_NAMES = ("manifest.csv", "manifest.jsonl", "manifest.json")
ALIGNMENT_SUFFIXES = (".TextGrid", ".textgrid", ".lab")


@dataclass(frozen=True)
class Utterance:
    """One audio file with its speaker and, when known, its transcript and phone alignment."""

    utt_id: str
    path: Path
    speaker: str
    text: str | None = None
    alignment: Path | None = None


@dataclass
class Dataset:
    """The utterances that could be found, and the rows skipped with their reasons."""

    source: str
    utterances: list[Utterance]
    skipped: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. old column names read as the schema's

    @property
    def speakers(self) -> list[str]:
        return sorted({u.speaker for u in self.utterances})


def _find_alignment(audio: Path, root: Path, alignments_dir: Path | None) -> Path | None:
    candidates = [audio.with_suffix(s) for s in ALIGNMENT_SUFFIXES]
    if alignments_dir is not None:
        relative = audio.relative_to(root) if audio.is_relative_to(root) else Path(audio.name)
        for base in (alignments_dir / relative, alignments_dir / audio.name):
            candidates += [base.with_suffix(s) for s in ALIGNMENT_SUFFIXES]
    return next((c for c in candidates if c.is_file()), None)


def _manifest_rows(path: Path) -> tuple[list[dict[str, str]], str | None]:
    """The rows of a clip-list manifest (data/manifest.py) as strings, old column names read as the schema's, and
    the note saying so (None if none were used); a row that does not parse stops the read (a dataset is read
    before any work starts)."""
    raw = []
    for number, row in raw_rows(path):
        if not isinstance(row, dict):
            raise BadInputError(f"manifest {path} line {number}: {row if isinstance(row, str) else 'not an object'}")
        raw.append(row)
    rows = [{k: v if isinstance(v, str) else json.dumps(v) for k, v in canonical(row).items() if v is not None}
            for row in raw]
    return rows, old_names_note(path, raw)


def read_manifest(path: Path, alignments_dir: Path | None = None) -> Dataset:
    """Read a CSV/JSONL manifest; rows with a missing file, speaker or alignment are skipped and listed."""
    path = Path(path)
    rows, note = _manifest_rows(path)
    if rows and not {"audio", "speaker"} <= set(rows[0]):
        raise BadInputError(f"manifest {path} needs columns audio and speaker; it has {', '.join(rows[0])}")
    root = path.parent
    utterances, skipped, seen = [], [], set()
    for number, row in enumerate(rows, 1):
        item = f"{path.name} row {number} ({row.get('audio', '')})"
        audio = (root / row.get("audio", "")).resolve() if row.get("audio") else None
        if audio is None or not audio.is_file():
            skipped.append({"item": item, "reason": f"audio file {audio or '(empty path)'} does not exist"})
            continue
        if not row.get("speaker"):
            skipped.append({"item": item, "reason": "no speaker given"})
            continue
        alignment = None
        if row.get("alignment"):
            alignment = (root / row["alignment"]).resolve()
            if not alignment.is_file():
                skipped.append({"item": item, "reason": f"alignment file {alignment} does not exist"})
                continue
        else:
            alignment = _find_alignment(audio, root, alignments_dir)
        utt_id = row.get("id") or str(Path(row["audio"]).with_suffix("")).replace("/", "_")
        if utt_id in seen:
            skipped.append({"item": item, "reason": f"duplicate utterance id {utt_id!r}"})
            continue
        seen.add(utt_id)
        utterances.append(Utterance(utt_id, audio, row["speaker"], row.get("text") or None, alignment))
    return Dataset(str(path), utterances, skipped, [note] if note else [])


def read_librispeech(root: Path, alignments_dir: Path | None = None) -> Dataset:
    """Read the LibriSpeech layout (speaker/chapter/*.flac + speaker-chapter.trans.txt) under `root`."""
    root = Path(root)
    utterances, skipped = [], []
    for transcript in sorted(root.rglob("*.trans.txt")):
        for line in transcript.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            utt_id, _, text = line.strip().partition(" ")
            audio = transcript.parent / f"{utt_id}.flac"
            if not audio.is_file():
                skipped.append({"item": utt_id, "reason": f"audio file {audio} does not exist"})
                continue
            utterances.append(
                Utterance(
                    utt_id,
                    audio,
                    utt_id.split("-")[0],
                    text or None,
                    _find_alignment(audio, root, alignments_dir),
                )
            )
    return Dataset(str(root), utterances, skipped)


def load_dataset(source: Path | str, alignments_dir: Path | str | None = None) -> Dataset:
    """Read a manifest file, a folder holding manifest.csv/.jsonl, or a LibriSpeech-layout folder."""
    source = Path(source)
    aligned = Path(alignments_dir) if alignments_dir else None
    if source.is_file():
        return read_manifest(source, aligned)
    if not source.is_dir():
        raise BadInputError(f"dataset {source} does not exist; give a manifest (.csv/.jsonl) or a folder")
    for name in MANIFEST_NAMES:
        if (source / name).is_file():
            return read_manifest(source / name, aligned)
    if next(source.rglob("*.trans.txt"), None) is not None:
        return read_librispeech(source, aligned)
    raise BadInputError(
        f"folder {source} has no {' or '.join(MANIFEST_NAMES)} and is not in the LibriSpeech "
        "layout (speaker/chapter/*.flac with *.trans.txt)"
    )
