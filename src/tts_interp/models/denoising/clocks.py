"""Denoiser clocks: the denoiser runs once per solver step (occurrence n = step n, at time t_n); its
conditioning modules (text encoder, speaker embedding) run once, before the first step."""

from __future__ import annotations

from tts_interp.core.errors import BadInputError
from tts_interp.tracing.clock import Row, RunShape, Target
from tts_interp.tracing.selection import Selection


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


CLOCKS = {"denoiser": denoiser_targets, "conditioning": conditioning_targets}
PHASES = {"denoise": {"conditioning": 0, "denoiser": 1}}
