"""Qwen3-TTS clocks: the talker runs once per frame, the code predictor 15 times per frame.

In generation, talker occurrence 0 is the whole prompt and occurrence n >= 1 the input of frame n - 1; the code
predictor's occurrence f * 15 + g - 1 predicts codebook g of frame f. In teacher forcing each runs once over
everything. Within one talker step the code predictor runs first (it completes the previous frame's codes).
"""

from __future__ import annotations

from tts_interp.core.errors import BadInputError
from tts_interp.core.indices import parse_index_list
from tts_interp.tracing.clock import Row, RunShape, Target
from tts_interp.tracing.selection import FRAMES_SEGMENT, Selection, segment_positions
from tts_interp.tracing.spec import SegmentMap

CODE_PREDICTOR_STEPS = 15  # codebooks 1..15, one code-predictor forward each


def _talker_selected(selection: Selection, shape: RunShape) -> list[tuple[int, int | None]]:
    """(absolute position, predicted frame) pairs a selection picks at a talker site."""
    length = shape.prompt_length
    total = length + shape.n_frames - 1  # positions 0..L+T-2: prompt, then the inputs of frames 0..T-2
    prompt_positions = set(range(length)) if selection.everything else segment_positions(selection, shape.segments)
    all_frames = selection.everything or FRAMES_SEGMENT in selection.segments
    picked = []
    for position in range(total):
        frame = position - length + 1 if position >= length - 1 else None
        chosen = (position < length and position in prompt_positions) or (position >= length and all_frames)
        chosen = chosen or (frame is not None and selection.frames is not None and selection.has_frame(frame))
        if chosen:
            picked.append((position, frame))
    return picked


def talker_targets(selection: Selection, shape: RunShape) -> list[Target]:
    """Targets at a talker site: one occurrence per frame in generation, one in teacher forcing."""
    picked = _talker_selected(selection, shape)
    if shape.mode == "teacher_force":
        if not picked:
            return []
        rows = tuple(Row(p, f, None) for p, f in picked)
        return [Target(0, (0,) * len(picked), tuple(p for p, _ in picked), rows, 0)]
    by_occurrence: dict[int, list[tuple[int, int | None]]] = {}
    for position, frame in picked:
        occurrence = 0 if position < shape.prompt_length else position - shape.prompt_length + 1
        by_occurrence.setdefault(occurrence, []).append((position, frame))
    targets = []
    for occurrence, items in sorted(by_occurrence.items()):
        seq = tuple(p if occurrence == 0 else 0 for p, _ in items)
        targets.append(Target(occurrence, (0,) * len(items), seq, tuple(Row(p, f, None) for p, f in items), occurrence))
    return targets


def code_predictor_targets(selection: Selection, shape: RunShape) -> list[Target]:
    """Targets at a code-predictor site: frame f, codebook g (1..15)."""
    if selection.segments and selection.frames is None:
        raise BadInputError("code-predictor sites have no prompt segments; select --frames and/or --codebooks")
    frames = [f for f in range(shape.n_frames) if selection.frames is None or selection.has_frame(f)]
    codebooks = [g for g in range(1, CODE_PREDICTOR_STEPS + 1) if selection.has_codebook(g)]
    if shape.mode == "teacher_force":
        pairs = [(f, g) for f in frames for g in codebooks]
        if not pairs:
            return []
        rows = tuple(Row(None, f, g) for f, g in pairs)
        return [Target(0, tuple(f for f, _ in pairs), tuple(g for _, g in pairs), rows, 0)]
    targets = []
    for frame in frames:
        if frame >= shape.n_frames - 1:  # the last talker step predicts a frame whose codes are never made
            break
        for codebook in codebooks:
            occurrence = frame * CODE_PREDICTOR_STEPS + codebook - 1
            targets.append(Target(occurrence, (0,), (-1,), (Row(None, frame, codebook),), frame + 1))
    return targets


CLOCKS = {"talker": talker_targets, "code_predictor": code_predictor_targets}
PHASES = {"generate": {"code_predictor": 0, "talker": 1}, "teacher_force": {"talker": 0, "code_predictor": 1}}


def run_shape(mode: str, prompt_length: int, n_frames: int, segments: SegmentMap) -> RunShape:
    """The clocks' view of a generation or teacher-forced pass."""
    return RunShape(mode, prompt_length, n_frames, segments, clocks=CLOCKS, phases=PHASES[mode])


def parse_codebooks(text: str | None) -> tuple[int, ...] | None:
    """Parse `1,2` or `1:4` into code-predictor codebooks (1..15)."""
    if text is None or not str(text).strip():
        return None
    values = parse_index_list(text, "code-predictor codebook", 1, CODE_PREDICTOR_STEPS, "1,2 or 1:4",
                              "1..15 (codebook 0 comes from the talker)")
    return tuple(sorted(set(values)))
