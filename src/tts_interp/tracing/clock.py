"""Clocks: mapping nnsight's per-module call counters (occurrences) to frames, codebooks and positions.

During Qwen3-TTS generation the talker runs once per frame (occurrence 0 is the whole prompt) and the code
predictor 15 times per frame; during teacher forcing each runs once over everything. A diffusion or flow
denoiser runs once per solver step (occurrence n = step n, at time t_n); its conditioning modules (text
encoder, speaker embedding) run once before the first step. A clock turns a Selection into `Target`s: which
occurrence of a module, which rows of its activation, and their labels.
"""

from __future__ import annotations

from dataclasses import dataclass

from tts_interp.core.errors import BadInputError
from tts_interp.models.base import SegmentMap
from tts_interp.tracing.selection import FRAMES_SEGMENT, Selection, segment_positions

CODE_PREDICTOR_STEPS = 15  # codebooks 1..15, one code-predictor forward each


@dataclass(frozen=True)
class Row:
    """One selected activation row: its absolute prompt+frame position, frame and codebook (or None)."""

    position: int | None
    frame: int | None
    codebook: int | None
    step: int | None = None  # denoiser sites: the solver step
    t: float | None = None  # denoiser sites: the model's time at that step


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
    tick: int  # the talker step or solver step during which this occurrence runs, for execution ordering


@dataclass(frozen=True)
class RunShape:
    """What a clock needs to know about a run: its mode, prompt length and frames, or its solver step times."""

    mode: str  # "generate" | "teacher_force" | "denoise"
    prompt_length: int
    n_frames: int  # generate: the most frames that can be produced; teacher_force: frames forced
    segments: SegmentMap
    timesteps: tuple[float, ...] = ()  # denoise: the model's time t at each solver step
    durations: tuple[int, ...] = ()  # forward (Kokoro): frames per token position, so n_frames = sum


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


def denoiser_targets(selection: Selection, shape: RunShape) -> list[Target]:
    """Targets at a denoiser site: solver step n (occurrence n) for every step whose t the selection keeps."""
    if selection.frames is not None or selection.segments or selection.codebooks is not None:
        raise BadInputError("denoiser sites are selected by time only (a t-range); frames, segments and "
                            "codebooks do not apply")
    return [Target(step, (0,), None, (Row(None, None, None, step, t),), step)
            for step, t in enumerate(shape.timesteps) if selection.has_t(t)]


def conditioning_targets(selection: Selection, shape: RunShape) -> list[Target]:
    """Targets at a conditioning site (text encoder, speaker embedding): its one call, before step 0."""
    if selection.frames is not None or selection.segments or selection.codebooks is not None:
        raise BadInputError("conditioning sites (text_encoder.out, speaker_embedding) run once per utterance; "
                            "frames, segments and codebooks do not apply")
    if selection.t_range is not None:
        raise BadInputError("conditioning sites run once before the first solver step; a t-range does not apply "
                            "to them")
    return [Target(0, (0,), None, (Row(None, None, None),), -1)]


def utterance_targets(selection: Selection, shape: RunShape, argument: str) -> list[Target]:
    """Targets at a once-per-utterance site of a one-pass model (Kokoro's style halves): its only row."""
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


def position_targets(selection: Selection, shape: RunShape, argument: str) -> list[Target]:
    """Targets at a phoneme-position site; `positions@k` is the k-th call of a shared layer."""
    if selection.frames is not None:
        raise BadInputError("phoneme-position sites are selected by --positions or words, not --frames")
    occurrence = int(argument) if argument else 0
    tick = occurrence if argument else TEXT_TICK
    positions = _token_positions(selection, shape)
    rows = tuple(Row(p, None, None) for p in positions)
    return [Target(occurrence, (0,) * len(positions), tuple(positions), rows, tick)] if positions else []


def frame_targets(selection: Selection, shape: RunShape, argument: str) -> list[Target]:
    """Targets at a frame site `frames@r+o`: r rows per frame after o leading rows; words and token positions
    select the frames their durations cover. Selected rows are labelled (owning token position, frame)."""
    rate, offset = (int(v) for v in (argument or "1+0").split("+"))
    if selection.everything:  # every row, labelled by row index (frame = (row - offset) // rate)
        return [Target(0, (0,), None, (Row(None, None, None),), FRAME_TICK)]
    if not shape.durations:
        raise BadInputError("selecting frames needs the run's durations; run it through tracing.forward")
    owner = [p for p, d in enumerate(shape.durations) for _ in range(d)]
    n_frames = len(owner)
    chosen = set(_token_positions(selection, shape)) if (selection.positions or selection.segments) else set()
    frames = [f for f in range(n_frames) if owner[f] in chosen or (selection.frames and selection.has_frame(f))]
    if selection.frames is not None and selection.frames[0] >= n_frames:
        raise BadInputError(f"frames {selection.frames[0]}: start past the last frame {n_frames - 1}")
    seq = [offset + rate * f + k for f in frames for k in range(rate)]
    rows = tuple(Row(owner[f], f, None) for f in frames for _ in range(rate))
    return [Target(0, (0,) * len(seq), tuple(seq), rows, FRAME_TICK)] if seq else []


# One-pass models: `positions@k` (the k-th pass of a shared layer) ticks at k, other position sites after every
# pass, frame sites after the whole text side.
TEXT_TICK, FRAME_TICK = 1000, 1001


def _plain(clock):  # noqa: ANN001, ANN202 - adapts an argument-free clock
    return lambda selection, shape, argument: clock(selection, shape)


CLOCKS = {"talker": _plain(talker_targets), "code_predictor": _plain(code_predictor_targets),
          "denoiser": _plain(denoiser_targets), "conditioning": _plain(conditioning_targets),
          "utterance": utterance_targets, "positions": position_targets, "frames": frame_targets}


def targets_for(clock: str, selection: Selection, shape: RunShape) -> list[Target]:
    """Dispatch to the clock a site runs on; `name@argument` passes an argument (a pass index, a frame rate)."""
    name, _, argument = clock.partition("@")
    return CLOCKS[name](selection, shape, argument)
