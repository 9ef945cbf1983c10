"""Option parsing shared by the talker experiment commands (lens, patch, direction, steer)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from tts_interp.core.errors import BadInputError
from tts_interp.core.indices import parse_index_list
from tts_interp.tracing.selection import Selection, parse_frames

if TYPE_CHECKING:  # the prompt module loads torch: only when a command runs
    from tts_interp.models.qwen3_tts.prompt import PromptRequest

MAX_LAYER = 4095  # a sanity bound at parse time; each model checks its own number of layers


def parse_layers(text: str | None) -> list[int] | None:
    """`0,2,5`, `0:4` (half-open) or a mix; None when not given."""
    if text is None or not text.strip():
        return None
    layers = parse_index_list(text, "layer", 0, MAX_LAYER, "0,2,5 or 0:4")  # the model's own range: check_layers
    if not layers:
        raise BadInputError(f"layers {text!r} selects no layer")
    return layers


def parse_names(text: str | None) -> list[str] | None:
    """A comma-separated list of names; None when not given."""
    if text is None or not text.strip():
        return None
    return [name.strip() for name in text.split(",") if name.strip()]


def selection_of(segments: str | None, frames: str | None) -> Selection:
    """A selection from --segments and --frames (neither: everything)."""
    return Selection(frames=parse_frames(frames), segments=tuple(parse_names(segments) or ()))


def voice_fields(speaker: str | None, instruct: str | None, ref_audio: Path | None, ref_text: str | None,
                 language: str) -> dict[str, Any]:
    """The voice options as the fields every family's `request_of` reads (Model.voice_request)."""
    return {"speaker": speaker, "instruct": instruct, "ref_audio": str(ref_audio) if ref_audio else None,
            "ref_text": ref_text, "language": language}


def request_of(text: str, instruct: str | None, speaker: str | None, ref_audio: Path | None, ref_text: str | None,
               language: str) -> PromptRequest:
    """A prompt request from the usual prompt options."""
    from tts_interp.models.qwen3_tts.prompt import PromptRequest

    return PromptRequest(text=text, instruct=instruct, speaker=speaker, ref_audio=str(ref_audio) if ref_audio else None,
                         ref_text=ref_text, language=language)
