"""Clocks: mapping nnsight's per-module call counters (occurrences) to frames, codebooks, steps and positions.

A clock is a function (Selection, RunShape) -> [Target]: which occurrence of a module, which rows of its
activation, and their labels. Families own their clocks (an autoregressive decoder runs once per frame, a
denoiser once per solver step; see models/<family>/clocks.py) and hand them to the engine in the RunShape,
with the phase order of their clocks within one tick.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import overload

from tts_interp.core.errors import UnknownNameError
from tts_interp.tracing.selection import Selection
from tts_interp.tracing.spec import SegmentMap


@dataclass(frozen=True)
class Row:
    """One selected activation row: its absolute prompt+frame position, frame and codebook (or None)."""

    position: int | None
    frame: int | None
    codebook: int | None
    step: int | None = None  # denoiser sites: the solver step
    t: float | None = None  # denoiser sites: the model's time at that step


@dataclass(frozen=True)
class Positions(Sequence[Row]):
    """The labels of every row of an activation read whole: `template` with positions 0..count-1, made only when
    asked for (a whole vocoder read can have ~10^5 rows; labelling them one object each cost more than the read)."""

    template: Row
    count: int

    def __len__(self) -> int:
        return self.count

    def _row(self, position: int) -> Row:
        t = self.template
        return Row(position, t.frame, t.codebook, t.step, t.t)

    @overload
    def __getitem__(self, index: int) -> Row: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Row]: ...
    def __getitem__(self, index: int | slice) -> Row | Sequence[Row]:
        if isinstance(index, slice):
            return [self._row(i) for i in range(self.count)[index]]
        if not -self.count <= index < self.count:
            raise IndexError(index)
        return self._row(index % self.count)

    def __iter__(self) -> Iterator[Row]:
        return (self._row(i) for i in range(self.count))


@dataclass(frozen=True)
class Target:
    """Rows `act[batch[k], seq[k]]` of occurrence `occurrence` of a module's activation `act` (B, S, H).

    `seq=None` selects every position of batch element `batch[0]`; `rows` then holds one template Row that
    the engine labels with each position (the clock does not know a site's length or resolution).
    """

    occurrence: int
    batch: tuple[int, ...]
    seq: tuple[int, ...] | None
    rows: tuple[Row, ...]
    tick: int  # the frame step or solver step during which this occurrence runs, for execution ordering


ClockFn = Callable[[Selection, "RunShape"], list[Target]]


@dataclass(frozen=True)
class RunShape:
    """What a clock needs to know about a run: its mode, prompt length and frames, or its solver step times.

    `clocks` are the family's clocks by name; `phases` rank them within one tick (the clock whose modules run
    first in that tick gets 0), so events are served in execution order.
    """

    mode: str  # e.g. "generate" | "teacher_force" | "denoise"
    prompt_length: int
    n_frames: int  # generate: the most frames that can be produced; teacher_force: frames forced
    segments: SegmentMap
    timesteps: tuple[float, ...] = ()  # denoise: the model's time t at each solver step
    clocks: Mapping[str, ClockFn] = field(default_factory=dict)
    phases: Mapping[str, int] = field(default_factory=dict)


def targets_for(clock: str, selection: Selection, shape: RunShape) -> list[Target]:
    """Dispatch to the clock a site runs on."""
    if clock not in shape.clocks:
        raise UnknownNameError("clock", clock, list(shape.clocks))
    return shape.clocks[clock](selection, shape)
