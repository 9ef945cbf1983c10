"""Kokoro's clocks: one forward pass, so a site's occurrence is its call within that pass.

- `utterance`: the style halves, one vector per run.
- `positions` / `positions@k`: phoneme-token positions (0 and L-1 are the boundary tokens); `@k` is the k-th
  call of a shared module (ALBERT's one layer runs 12 times). Selected by `positions` a:b or word segments.
- `frames@r+o`: acoustic frames after duration expansion (25 ms each), r rows per frame after o leading rows (the
  generator's reflection pad adds one). Frames, words and positions select rows through the run's durations,
  so the frame clocks are made per run (`clocks_for(durations)`).
Ticks order the stages: the utterance sites first, ALBERT's passes (tick k), the other text sites, then frames.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from tts_interp.core.errors import BadInputError
from tts_interp.tracing.clock import ClockFn, Row, RunShape, Target
from tts_interp.tracing.selection import Selection, segment_positions

TEXT_TICK, FRAME_TICK = 1000, 1001


def utterance_targets(selection: Selection, shape: RunShape) -> list[Target]:
    """The one vector of a once-per-utterance site (the style halves)."""
    if not selection.everything or selection.codebooks is not None or selection.t_range is not None:
        raise BadInputError("style sites hold one vector per utterance; positions, frames, words and times do "
                            "not apply to them")
    return [Target(0, (0,), None, (Row(None, None, None),), -1)]


def _token_positions(selection: Selection, shape: RunShape) -> list[int]:
    """Token positions a selection names: all, a [start, stop) range, and/or word segments."""
    if selection.everything:
        return list(range(shape.prompt_length))
    picked: set[int] = set()
    if selection.positions is not None:
        start, stop = selection.positions
        stop = shape.prompt_length if stop is None else stop
        if start >= shape.prompt_length:
            raise BadInputError(f"positions {start}:{stop} start past the last token position "
                                f"{shape.prompt_length - 1}")
        picked.update(range(start, min(stop, shape.prompt_length)))
    if selection.segments:
        picked.update(segment_positions(selection, shape.segments))
    return sorted(picked)


def position_targets(selection: Selection, shape: RunShape, call: int | None = None) -> list[Target]:
    """Rows at phoneme positions of a module's call `call` (None: its one call, after the shared passes)."""
    if selection.frames is not None:
        raise BadInputError("phoneme-position sites are selected by --positions or words, not --frames")
    positions = _token_positions(selection, shape)
    rows = tuple(Row(p, None, None) for p in positions)
    tick = TEXT_TICK if call is None else call
    return [Target(call or 0, (0,) * len(positions), tuple(positions), rows, tick)] if positions else []


def frame_targets(selection: Selection, shape: RunShape, rate: int, offset: int,
                  durations: Sequence[int] = ()) -> list[Target]:
    """Rows of frames at a frame site; selected rows are labelled (owning token position, frame)."""
    if selection.everything:  # every row, labelled by row index (frame = (row - offset) // rate)
        return [Target(0, (0,), None, (Row(None, None, None),), FRAME_TICK)]
    if not durations:
        raise BadInputError("selecting frames needs the run's durations; run it through models.kokoro.runs")
    owner = [p for p, d in enumerate(durations) for _ in range(d)]
    chosen = set(_token_positions(selection, shape)) if (selection.positions or selection.segments) else set()
    frames = [f for f in range(len(owner)) if owner[f] in chosen or (selection.frames and selection.has_frame(f))]
    if selection.frames is not None and selection.frames[0] >= len(owner):
        raise BadInputError(f"frames {selection.frames[0]}: start past the last frame {len(owner) - 1}")
    seq = [offset + rate * f + k for f in frames for k in range(rate)]
    rows = tuple(Row(owner[f], f, None) for f in frames for _ in range(rate))
    return [Target(0, (0,) * len(seq), tuple(seq), rows, FRAME_TICK)] if seq else []


def clock_fn(name: str, durations: Sequence[int] = ()) -> ClockFn:
    """The clock a site's clock name (`utterance`, `positions@k`, `frames@r+o`) stands for."""
    kind, _, argument = name.partition("@")
    if kind == "utterance":
        return utterance_targets
    if kind == "positions":
        return partial(position_targets, call=int(argument) if argument else None)
    rate, offset = (int(v) for v in (argument or "1+0").split("+"))
    return partial(frame_targets, rate=rate, offset=offset, durations=tuple(durations))


def clocks_for(names: Sequence[str], durations: Sequence[int] = ()) -> dict[str, ClockFn]:
    """Every clock of the given names, the frame clocks bound to one run's durations."""
    return {name: clock_fn(name, durations) for name in names}
