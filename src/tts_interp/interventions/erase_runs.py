"""The two runs erasure needs, for any family: read a site over labelled prompts, and render one prompt to a
run directory with writes.

A family that can `generate` (Qwen3-TTS) reads through `reading.collect_rows` (greedy generation or teacher
forcing) and renders through `generation.generate_to_dir`; one that can `synthesize` in one pass (Kokoro) runs
through its KokoroSession (the prompt's speaker is the Kokoro voice) and is written by
`kokoro.session.write_run`. A prompt is always a PromptRequest: text, speaker (voice), language.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch

from tts_interp.core.errors import BadInputError
from tts_interp.interventions.generation import RunConfig, generate_to_dir
from tts_interp.interventions.session import Session
from tts_interp.models.qwen3_tts.prompt import PromptRequest
from tts_interp.models.registry import check_capabilities
from tts_interp.tracing.engine import Read
from tts_interp.tracing.ops import Write
from tts_interp.tracing.selection import Selection, check_segments

ONE_PASS = "synthesize"  # the capability of a family that renders an utterance in one forward pass


def open_session(model: str, device: str = "auto", dtype: str = "float32") -> Session:
    """The model's Session (a KokoroSession for a one-pass family); a family that can neither `generate` nor
    `synthesize` (a denoiser) is refused in one line before loading."""
    if ONE_PASS in check_capabilities(model, ()).capabilities:
        from tts_interp.interventions.kokoro.session import KokoroSession

        return KokoroSession(model, device)
    check_capabilities(model, ("generate",))
    return Session(model, device, dtype, needs=("generate",))


def is_one_pass(session: Any) -> bool:
    return ONE_PASS in session.adapter.capabilities


def voice_attributes(session: Any) -> dict[str, dict[str, str]]:
    """Labels of the model's named voices (Kokoro: gender, accent, language from the name), else none."""
    voices = getattr(session.adapter, "voices", None)
    return {v.name: v.to_json() for v in voices()} if callable(voices) else {}


def _forward_prompts(session: Any, request: PromptRequest) -> list[Any]:
    if not request.speaker:
        raise BadInputError(f"{session.adapter.model_id} speaks in a named voice: give each prompt a voice")
    language = None if request.language in (None, "auto") else request.language
    return session.prompts(request.text, request.speaker, language)


def check_prompt(session: Any, request: PromptRequest, selection: Selection) -> None:
    """Prepare a prompt and check the selection's segments against it (before any run)."""
    if is_one_pass(session):
        for prompt in _forward_prompts(session, request):
            check_segments(selection, prompt.segments)
    else:
        from tts_interp.interventions.reading import prepare_runs

        prepare_runs(session, [request], selection)


def collect(session: Any, requests: Sequence[PromptRequest], sites: Sequence[str], selection: Selection,
            codes: torch.Tensor | None = None, max_new_tokens: int = 50,
            advance: Callable[[int], None] | None = None) -> dict[str, list[torch.Tensor]]:
    """Per site, one (rows, H) tensor per prompt, read on `selection`."""
    if not is_one_pass(session):
        from tts_interp.interventions.reading import collect_rows, prepare_runs

        prompts = prepare_runs(session, requests, selection)
        return collect_rows(session, prompts, sites, selection, codes, max_new_tokens, advance)
    per_site: dict[str, list[torch.Tensor]] = {site: [] for site in sites}
    reads = [Read(site, selection) for site in sites]
    for request in requests:
        store = session.run(_forward_prompts(session, request), 0, reads).store
        for site in sites:
            per_site[site].append(store.get(site).values.float())
        if advance:
            advance(1)
    return per_site


def render(session: Any, config: RunConfig, out_dir: Path, writes: Sequence[Write] = (),
           extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Generate one prompt (seeded) with `writes` and write audio.wav + result.json (+ codes.npy if any)."""
    if not is_one_pass(session):
        return generate_to_dir(session, config, out_dir, writes=list(writes), extra=extra)
    from tts_interp.interventions.kokoro.session import write_run

    started = time.perf_counter()
    run = session.run(_forward_prompts(session, config.prompt), config.settings.seed, writes=writes)
    frames = int(sum(int(d.sum()) for d in run.durations))
    return write_run(Path(out_dir), session, run, {"command": "generate", "run_config": config.to_json(),
                                                   "frames": frames, **(extra or {})}, time.perf_counter() - started)
