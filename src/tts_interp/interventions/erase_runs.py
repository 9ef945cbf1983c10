"""The two runs erasure needs, for any family: read a site over labelled prompts, and render one prompt to a
run directory with writes.

An autoregressive family (Qwen3-TTS) reads through `directions.collect_rows` (greedy generation or teacher
forcing) and renders through `generation.generate_to_dir`; a one-pass family (Kokoro) runs through
`tracing.forward.synthesize` (the prompt's speaker is the Kokoro voice). A prompt is always a PromptRequest:
text, speaker (voice), language.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from tts_interp import __version__
from tts_interp.core.audio import write_wav
from tts_interp.core.device import resolve_device, resolve_dtype
from tts_interp.core.errors import BadInputError
from tts_interp.core.results import write_result
from tts_interp.interventions.generation import RunConfig, Session, generate_to_dir
from tts_interp.models.qwen3_tts.prompt import PromptRequest
from tts_interp.models.registry import family_of, load_model
from tts_interp.tracing.engine import Engine, Read
from tts_interp.tracing.ops import Write
from tts_interp.tracing.selection import Selection, check_segments

ONE_PASS_FAMILIES = ("kokoro",)


@dataclass
class ForwardSession:
    """A loaded one-pass model (Kokoro) and its engine: the same two members a Session has."""

    adapter: Any
    engine: Engine = field(default_factory=Engine)
    device: str = "cpu"
    dtype: str = "float32"


def open_session(model: str, device: str = "auto", dtype: str = "float32") -> Any:
    """A Session for an autoregressive model, a ForwardSession for a one-pass one."""
    if family_of(model) in ONE_PASS_FAMILIES:
        return ForwardSession(load_model(model, resolve_device(device), resolve_dtype(dtype)), Engine(), device, dtype)
    return Session(model, device, dtype)


def is_one_pass(session: Any) -> bool:
    return getattr(session.adapter, "family", "") in ONE_PASS_FAMILIES


def voice_attributes(session: Any) -> dict[str, dict[str, str]]:
    """Labels of the model's named voices (Kokoro: gender, accent, language from the name), else none."""
    voices = getattr(session.adapter, "voices", None)
    return {v.name: v.to_json() for v in voices()} if callable(voices) else {}


def _forward_prompts(session: Any, request: PromptRequest) -> list[Any]:
    if not request.speaker:
        raise BadInputError(f"{session.adapter.model_id} speaks in a named voice: give each prompt a voice")
    language = None if request.language in (None, "auto") else request.language
    return session.adapter.prepare(request.text, request.speaker, language)


def check_prompt(session: Any, request: PromptRequest, selection: Selection) -> None:
    """Prepare a prompt and check the selection's segments against it (before any run)."""
    if is_one_pass(session):
        for prompt in _forward_prompts(session, request):
            check_segments(selection, prompt.segments)
    else:
        from tts_interp.interventions.directions import prepare_runs

        prepare_runs(session, [request], selection)


def collect(session: Any, requests: Sequence[PromptRequest], sites: Sequence[str], selection: Selection,
            codes: torch.Tensor | None = None, max_new_tokens: int = 50,
            advance: Callable[[int], None] | None = None) -> dict[str, list[torch.Tensor]]:
    """Per site, one (rows, H) tensor per prompt, read on `selection`."""
    if not is_one_pass(session):
        from tts_interp.interventions.directions import collect_rows, prepare_runs

        prompts = prepare_runs(session, requests, selection)
        return collect_rows(session, prompts, sites, selection, codes, max_new_tokens, advance)
    from tts_interp.tracing.forward import synthesize

    per_site: dict[str, list[torch.Tensor]] = {site: [] for site in sites}
    reads = [Read(site, selection) for site in sites]
    for request in requests:
        store = synthesize(session.engine, session.adapter, _forward_prompts(session, request), 0, reads=reads).store
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
    from tts_interp.tracing.forward import synthesize

    adapter = session.adapter
    prompts = _forward_prompts(session, config.prompt)
    started = time.perf_counter()
    run = synthesize(session.engine, adapter, prompts, config.settings.seed, writes=writes)
    audio = run.audio.numpy()
    write_wav(Path(out_dir) / "audio.wav", audio, adapter.sample_rate)
    payload = {"command": "generate", "tts_interp_version": __version__, "config": config.to_json(),
               "model": adapter.describe(), "prompts": [p.to_json() for p in prompts],
               "durations": [d.tolist() for d in run.durations], "writes": [w.to_json() for w in writes],
               "seconds": round(len(audio) / adapter.sample_rate, 3), "frames": int(sum(int(d.sum()) for d in run.durations)),
               "sample_rate": adapter.sample_rate, "files": {"audio": "audio.wav"},
               "generate_seconds": round(time.perf_counter() - started, 3),
               "deterministic": f"seeded with {config.settings.seed}: same seed and inputs, same audio",
               **(extra or {})}
    write_result(out_dir, payload)
    return payload
