"""The runs erasure needs, for any family that speaks in a voice, through the family-neutral `run` hook.

A prompt is the family's request (`adapter.request_of(text, voice fields)`: Qwen3-TTS's PromptRequest, Kokoro's
KokoroRequest); rows are read by `reading.collect_rows` (the family's deterministic run, or teacher forcing on
given codes) and a prompt is rendered to a run directory by `running.generate_to_dir`, as `generate` writes it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch

from tts_interp.core.errors import BadInputError
from tts_interp.interventions.reading import collect_rows, prepare_runs
from tts_interp.interventions.running import generate_to_dir
from tts_interp.interventions.session import Session
from tts_interp.tracing.ops import Write
from tts_interp.tracing.selection import Selection

VOICE_FIELDS = ("speaker", "instruct", "ref_audio", "ref_text", "language")


def open_session(model: str, device: str = "auto", dtype: str = "float32") -> Session:
    """The model's Session; a family with no run hook, or one that does not speak in a voice (a denoiser), is
    refused in one line before its weights load."""
    from tts_interp.models.registry import check_capabilities

    family = check_capabilities(model, ("run",))
    if not hasattr(family, "request_of"):
        raise BadInputError(f"{model!r} is a {family.family} model: erasure runs models that speak in a voice "
                            "(Qwen3-TTS, Kokoro)")
    return Session(model, device, dtype, needs=("run",))


def request_of(session: Session, text: str, voice: dict[str, Any]) -> Any:
    """The family's request for `text` spoken in `voice` (fields of VOICE_FIELDS; None = not given)."""
    return session.adapter.request_of(text, {k: v for k, v in voice.items() if v is not None})


def voice_name(voice: dict[str, Any]) -> str:
    """What makes a prompt sound like someone: its speaker, reference clip or instruct."""
    return str(voice.get("speaker") or voice.get("ref_audio") or voice.get("instruct") or "default voice")


def voice_attributes(session: Session) -> dict[str, dict[str, str]]:
    """Labels of the model's named voices (Kokoro: gender, accent, language from the name), else none."""
    voices = getattr(session.adapter, "voices", None)
    return {v.name: v.to_json() for v in voices()} if callable(voices) else {}


def check_prompt(session: Session, request: Any, selection: Selection) -> None:
    """Prepare a prompt and check the selection's segments against it (before any run)."""
    prepare_runs(session, [request], selection)


def collect(session: Session, requests: Sequence[Any], sites: Sequence[str], selection: Selection,
            codes: torch.Tensor | None = None, max_new_tokens: int = 50,
            advance: Callable[[int], None] | None = None) -> dict[str, list[torch.Tensor]]:
    """Per site, one (rows, H) tensor per prompt, read on `selection` during the family's deterministic run
    (greedy decoding of `max_new_tokens`, or a synthesis at seed 0), or teacher-forced on `codes`."""
    prompts = prepare_runs(session, requests, selection)
    return collect_rows(session, prompts, sites, selection, codes, max_new_tokens, advance)


def render(session: Session, config: Any, out_dir: Path, writes: Sequence[Write] = (),
           extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run one prompt (seeded by its settings) with `writes`; write its run directory as `generate` does."""
    return generate_to_dir(session, config, Path(out_dir), writes=list(writes), extra=extra)
