"""Phone alignments: Praat TextGrid (the Montreal Forced Aligner's `phones` tier) and HTS `.lab` files.

Both become a list of `Interval(start, end, label)` in seconds; `frame_labels` samples them at a codec's
frame rate (the label under each frame's centre), which is what a per-frame phoneme probe needs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tts_interp.core.errors import BadInputError

SILENCE_LABELS = frozenset({"", "sil", "sp", "spn", "pau", "h#", "<eps>", "silence"})
HTS_TIME_UNIT = 1e-7  # HTS label times are in units of 100 ns


@dataclass(frozen=True)
class Interval:
    """One labelled span of an utterance, in seconds."""

    start: float
    end: float
    label: str


def read_textgrid(path: Path, tier: str = "phones") -> list[Interval]:
    """Read one interval tier of a TextGrid (long or short text format); MFA calls the phone tier `phones`."""
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    tiers = re.split(r'\n\s*(?:item\s*\[\d+\]:|"IntervalTier")', text)
    names = []
    for block in tiers[1:]:
        name_match = re.search(r'name\s*=\s*"([^"]*)"', block) or re.match(r'\s*"([^"]*)"', block)
        name = name_match.group(1) if name_match else ""
        names.append(name)
        if name != tier:
            continue
        long_form = re.findall(
            r'xmin\s*=\s*([\d.eE+-]+)\s*xmax\s*=\s*([\d.eE+-]+)\s*text\s*=\s*"((?:[^"]|"")*)"', block
        )
        if long_form:
            rows = long_form
        else:  # short format: name, xmin, xmax, count, then (xmin, xmax, text) triples
            tokens = re.findall(r'"((?:[^"]|"")*)"|([\d.eE+-]+)', block)
            values = [quoted if quoted or not number else number for quoted, number in tokens][4:]
            rows = [tuple(values[i : i + 3]) for i in range(0, len(values) - 2, 3)]
        return [Interval(float(a), float(b), label.replace('""', '"').strip()) for a, b, label in rows]
    raise BadInputError(
        f"TextGrid {path} has no interval tier named {tier!r}; tiers: {', '.join(names) or 'none'}"
    )


def read_lab(path: Path) -> list[Interval]:
    """Read an HTS label file: `start end label` lines, times as integers in 100 ns units or decimal seconds.

    Full-context labels (`x^y-phone+z=...`) are reduced to their centre phone.
    """
    rows = []
    decimal = False
    for number, line in enumerate(Path(path).read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) < 3:
            raise BadInputError(f"label file {path} line {number}: expected `start end label`, got {line!r}")
        try:
            start, end = float(parts[0]), float(parts[1])
        except ValueError:
            raise BadInputError(
                f"label file {path} line {number}: times {parts[0]!r} {parts[1]!r} are not numbers"
            ) from None
        rows.append((start, end, parts[2]))
        decimal = decimal or "." in parts[0] or "." in parts[1]
    if not rows:
        raise BadInputError(f"label file {path} has no labels")
    unit = 1.0 if decimal else HTS_TIME_UNIT
    full_context = re.compile(r"^[^-]*-([^+]+)\+")
    return [
        Interval(
            round(s * unit, 7),
            round(e * unit, 7),
            (full_context.match(lab).group(1) if full_context.match(lab) else lab),
        )
        for s, e, lab in rows
    ]


def read_alignment(path: Path) -> list[Interval]:
    """Read a TextGrid or a .lab file by its suffix."""
    path = Path(path)
    if not path.is_file():
        raise BadInputError(f"alignment file {path} does not exist")
    if path.suffix.lower() == ".textgrid":
        return read_textgrid(path)
    if path.suffix.lower() == ".lab":
        return read_lab(path)
    raise BadInputError(f"alignment file {path} has an unknown format; valid: .TextGrid, .lab")


def frame_labels(intervals: list[Interval], n_frames: int, frame_rate: float) -> list[str | None]:
    """The label under each frame's centre; None for silence, pauses and frames outside every interval."""
    labels: list[str | None] = []
    index = 0
    ordered = sorted(intervals, key=lambda iv: iv.start)
    for frame in range(n_frames):
        centre = (frame + 0.5) / frame_rate
        while index < len(ordered) and ordered[index].end <= centre:
            index += 1
        inside = index < len(ordered) and ordered[index].start <= centre < ordered[index].end
        label = ordered[index].label if inside else None
        labels.append(None if label is None or label.lower() in SILENCE_LABELS else label)
    return labels


def intervals_from_durations(labels: list[str], durations: list[int], frame_seconds: float,
                             start: float = 0.0) -> list[Interval]:
    """A duration track (frames per label, as a TTS predicts it) as back-to-back intervals from `start`."""
    if len(labels) != len(durations):
        raise BadInputError(f"{len(labels)} labels but {len(durations)} durations")
    intervals, time = [], start
    for label, frames in zip(labels, durations, strict=True):
        end = time + frames * frame_seconds
        intervals.append(Interval(round(time, 7), round(end, 7), label))
        time = end
    return intervals


def write_lab(path: Path, intervals: list[Interval]) -> Path:
    """Write intervals as an HTS-style `.lab` file in decimal seconds (read back by `read_lab`)."""
    path = Path(path)
    path.write_text("".join(f"{iv.start:.7f} {iv.end:.7f} {iv.label}\n" for iv in intervals), encoding="utf-8")
    return path


def phoneme_labels_at_hop(alignment: Path, hop_seconds: float, n_frames: int | None = None) -> list[str | None]:
    """Per-frame phoneme labels of an aligned clip at any hop (e.g. Whisper's 0.02 s encoder frames).

    `alignment` is a TextGrid or `.lab` (a Kokoro run writes `alignment.lab` from its predicted durations);
    frames cover the whole alignment unless `n_frames` is given; pauses and silence are None.
    """
    if not hop_seconds > 0:
        raise BadInputError(f"hop must be positive seconds, got {hop_seconds}")
    intervals = read_alignment(alignment)
    if n_frames is None:
        n_frames = int(round(max(iv.end for iv in intervals) / hop_seconds))
    return frame_labels(intervals, n_frames, 1.0 / hop_seconds)
