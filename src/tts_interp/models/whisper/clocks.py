"""Whisper's clocks for the tracing engine: the encoder runs once per clip (row f = 20 ms frame f, only the
clip's real frames), the decoder once per teacher-forced transcript (row s = token step s)."""

from __future__ import annotations

from tts_interp.core.errors import BadInputError
from tts_interp.tracing.clock import Row, RunShape, Target
from tts_interp.tracing.selection import Selection


def _positions(selection: Selection, shape: RunShape, what: str) -> tuple[int, ...]:
    if selection.segments or selection.codebooks is not None or selection.t_range is not None:
        raise BadInputError(f"{what} sites are selected by frames only; segments, codebooks and t-ranges do not apply")
    return tuple(f for f in range(shape.n_frames) if selection.frames is None or selection.has_frame(f))


def encoder_targets(selection: Selection, shape: RunShape) -> list[Target]:
    """The encoder's one call; rows are the selected real frames (`shape.n_frames` of them, never padding)."""
    frames = _positions(selection, shape, "encoder")
    return [Target(0, (0,) * len(frames), frames, tuple(Row(f, f, None) for f in frames), 0)] if frames else []


def decoder_targets(selection: Selection, shape: RunShape) -> list[Target]:
    """The teacher-forced decoder's one call; rows are the selected token steps."""
    steps = _positions(selection, shape, "decoder")
    return [Target(0, (0,) * len(steps), steps, tuple(Row(s, s, None) for s in steps), 1)] if steps else []


CLOCKS = {"encoder_frame": encoder_targets, "decoder_token": decoder_targets}
PHASES = {"transcribe": {"encoder_frame": 0, "decoder_token": 1}}
