"""Aligning the positions of two prompts segment by segment, for patching run A's activations into run B.

A and B speak the same text but may differ in an instruct, a speaker or a reference, so a segment of one
length can shift everything after it. Each named segment is aligned on its own: a segment of equal length
in both prompts maps position by position; the generated frames map frame by frame (both runs are
teacher-forced on the same codes). A segment whose length differs (two instructs of different token counts)
is refused under the default rule `refuse`; under `relative` position i of B's n_b positions takes A's
position round((i + 0.5) * n_a / n_b - 0.5), i.e. the same relative place. A segment present in only one
prompt (with vs without instruct) cannot be patched.
"""

from __future__ import annotations

from tts_interp.core.errors import BadInputError, UnknownNameError
from tts_interp.models.qwen3_tts.clocks import run_shape, talker_targets
from tts_interp.tracing.selection import FRAMES_SEGMENT, Selection
from tts_interp.tracing.spec import Segment, SegmentMap

UNEQUAL_RULES = ("refuse", "relative")


def patchable_names(segments: SegmentMap) -> list[str]:
    """Every name a patch can target in a prompt: its segments, its groups, and `frames`."""
    return segments.names() + [FRAMES_SEGMENT]


def _constituents(segments: SegmentMap, name: str) -> list[Segment]:
    by_name = {s.name: s for s in segments.segments}
    return [by_name[n] for n in segments.groups.get(name, (name,)) if n in by_name]


def _segment_of(segments: SegmentMap, position: int) -> Segment:
    return next(s for s in segments.segments if s.start <= position < s.stop)


def check_alignable(source: SegmentMap, target: SegmentMap, name: str, rule: str = "refuse") -> None:
    """Fail clearly unless segment (or group) `name` can be aligned from `source` (A) into `target` (B)."""
    if rule not in UNEQUAL_RULES:
        raise UnknownNameError("alignment rule for segments of unequal length", rule, UNEQUAL_RULES)
    valid = sorted(set(patchable_names(source)) | set(patchable_names(target)))
    if name not in valid:
        raise UnknownNameError("segment", name, valid)
    if name == FRAMES_SEGMENT:
        return
    in_source = {s.name: s for s in _constituents(source, name)}
    for segment in _constituents(target, name):
        if segment.name not in in_source:
            raise BadInputError(f"segment {segment.name!r} exists in prompt B but not in prompt A, so it cannot "
                                "be patched from A (e.g. patching an instruct into a prompt without one)")
        if len(in_source[segment.name]) != len(segment) and rule == "refuse":
            raise BadInputError(
                f"segment {segment.name!r} has {len(in_source[segment.name])} positions in prompt A and "
                f"{len(segment)} in prompt B; unequal segments are patched only with the alignment rule "
                "'relative' (--unequal relative: each B position takes A's position at the same relative place)")
    if not _constituents(target, name):
        raise BadInputError(f"segment {name!r} exists in prompt A but not in prompt B, so there is nothing in B "
                            "to patch")


def source_position(source: SegmentMap, target: SegmentMap, position: int, rule: str = "refuse") -> int:
    """The position of A that B's `position` is aligned with (prompt positions by segment, frames by frame)."""
    if position >= target.prompt_length:
        return position - target.prompt_length + source.prompt_length
    segment = _segment_of(target, position)
    check_alignable(source, target, segment.name, rule)
    match = _constituents(source, segment.name)[0]
    offset = position - segment.start
    if len(match) != len(segment):
        offset = min(len(match) - 1, max(0, round((offset + 0.5) * len(match) / len(segment) - 0.5)))
    return match.start + offset


def aligned_positions(source: SegmentMap, target: SegmentMap, name: str, n_frames: int, rule: str = "refuse"
                      ) -> tuple[list[int], list[int]]:
    """(B positions in the order a teacher-forced write consumes them, the A position each one takes)."""
    check_alignable(source, target, name, rule)
    shape = run_shape("teacher_force", target.prompt_length, n_frames, target)
    targets = talker_targets(Selection(segments=(name,)), shape)
    positions = [row.position for t in targets for row in t.rows if row.position is not None]
    return positions, [source_position(source, target, p, rule) for p in positions]
