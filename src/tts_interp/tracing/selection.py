"""Which positions of a run a read or write touches: frame ranges, prompt segments, codebooks.

What a frame, a segment, a codebook or a time means at a site is its clock's business (models/<family>/clocks.py):
e.g. at an autoregressive site frame f is the position whose output predicts frame f, a segment names prompt
positions (see the adapter's segment map) and the segment `frames` every generated position; at a denoiser site
a t-range [a, b] (inclusive, within [0, 1]) keeps the solver steps whose time t lies in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tts_interp.core.errors import BadInputError, OutOfRangeError, UnknownNameError
from tts_interp.tracing.spec import SegmentMap

FRAMES_SEGMENT = "frames"


@dataclass(frozen=True)
class Selection:
    """Frames `[start, stop)` (stop None = open), prompt segments, codebooks, and a t-range.

    With neither frames nor segments, every position is selected.
    """

    frames: tuple[int, int | None] | None = None
    segments: tuple[str, ...] = ()
    codebooks: tuple[int, ...] | None = None
    t_range: tuple[float, float] | None = None  # denoiser sites: solver steps with a <= t <= b
    positions: tuple[int, int | None] | None = None  # token positions [start, stop) of a one-pass model

    @property
    def everything(self) -> bool:
        return self.frames is None and not self.segments and self.positions is None

    def given(self) -> list[str]:
        """The fields this selection sets (frames, segments, codebooks, t_range, positions)."""
        return [name for name in ("frames", "segments", "codebooks", "t_range", "positions")
                if getattr(self, name) not in (None, ())]

    def has_t(self, t: float) -> bool:
        return self.t_range is None or self.t_range[0] <= t <= self.t_range[1]

    def has_frame(self, frame: int) -> bool:
        if self.frames is None:
            return self.everything
        start, stop = self.frames
        return frame >= start and (stop is None or frame < stop)

    def has_codebook(self, codebook: int) -> bool:
        return self.codebooks is None or codebook in self.codebooks

    def to_json(self) -> dict[str, Any]:
        data = {"frames": list(self.frames) if self.frames else None, "segments": list(self.segments),
                "codebooks": list(self.codebooks) if self.codebooks else None}
        if self.t_range is not None:
            data["t_range"] = list(self.t_range)
        if self.positions is not None:
            data["positions"] = list(self.positions)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Selection:
        frames = tuple(data["frames"]) if data.get("frames") else None
        codebooks = tuple(data["codebooks"]) if data.get("codebooks") else None
        t_range = tuple(data["t_range"]) if data.get("t_range") else None
        positions = tuple(data["positions"]) if data.get("positions") else None
        return cls(frames, tuple(data.get("segments") or ()), codebooks, t_range, positions)  # type: ignore[arg-type]


def parse_frames(text: str | None, what: str = "frames") -> tuple[int, int | None] | None:
    """Parse `10:40`, `10:`, `:40` or `7` into a half-open range of frames (or of `what`, e.g. positions)."""
    if text is None or not str(text).strip():
        return None
    text = str(text).strip()
    try:
        if ":" in text:
            first, last = text.split(":", 1)
            start = int(first) if first.strip() else 0
            stop = int(last) if last.strip() else None
        else:
            start = int(text)
            stop = start + 1
    except ValueError:
        raise BadInputError(f"{what} {text!r} is not a range; use a:b, a:, :b or a single index") from None
    if start < 0 or (stop is not None and stop <= start):
        raise BadInputError(f"{what} {text!r} is empty or negative; use a:b with 0 <= a < b")
    return start, stop


def parse_t_range(text: str | tuple[float, float] | None) -> tuple[float, float] | None:
    """Parse `0.3:0.7` (or a pair) into an inclusive time range within [0, 1]; empty or outside is an error."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    if isinstance(text, str):
        parts = text.strip().split(":")
        try:
            if len(parts) != 2:
                raise ValueError
            start = float(parts[0]) if parts[0].strip() else 0.0
            stop = float(parts[1]) if parts[1].strip() else 1.0
        except ValueError:
            raise BadInputError(f"t-range {text!r} is not a range; use a:b with 0 <= a <= b <= 1, e.g. 0.5:1") from None
    else:
        start, stop = (float(v) for v in text)
    if not (0.0 <= start <= 1.0 and 0.0 <= stop <= 1.0):
        raise OutOfRangeError("t-range", f"{start}:{stop}", "a:b with 0 <= a <= b <= 1 (diffusion time)")
    if stop < start:
        raise BadInputError(f"t-range {start}:{stop} is empty (start after end); use a:b with a <= b")
    return start, stop


def check_segments(selection: Selection, segments: SegmentMap) -> None:
    """Fail if a selection names a segment this prompt does not have."""
    valid = segments.names() + [FRAMES_SEGMENT]
    for name in selection.segments:
        if name not in valid:
            raise UnknownNameError("segment", name, valid)


def segment_positions(selection: Selection, segments: SegmentMap) -> set[int]:
    """The prompt positions named by a selection's segments (not counting the `frames` segment)."""
    check_segments(selection, segments)
    by_name = {s.name: s for s in segments.segments}
    names: list[str] = []
    for name in selection.segments:
        names += list(segments.groups.get(name, (name,)))
    positions: set[int] = set()
    for name in names:
        if name in by_name:
            positions.update(range(by_name[name].start, by_name[name].stop))
    return positions
