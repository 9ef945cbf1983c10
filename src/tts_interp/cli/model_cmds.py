"""`models`, `sites`, `generate` and `trace`: the engine's own commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from tts_interp.cli import options as opt
from tts_interp.cli.common import console, frame_progress, print_done, status
from tts_interp.cli.talker_common import voice_fields
from tts_interp.core.errors import BadInputError
from tts_interp.models.qwen3_tts.clocks import parse_codebooks
from tts_interp.models.registry import builtin_models, load_model
from tts_interp.tracing.selection import Selection, parse_frames
from tts_interp.tracing.sites import resolve_sites, site_patterns

if TYPE_CHECKING:  # torch, numpy and the engine load inside the commands that run a model (fast --help)

    from tts_interp.interventions.generation import RunConfig


def run_config(model: str, text: str, instruct: str | None, speaker: str | None, ref_audio: Path | None,
               ref_text: str | None, language: str, seed: int, greedy: bool, max_new_tokens: int, device: str,
               dtype: str) -> RunConfig:
    """Assemble the replayable config of a generation from CLI options."""
    from tts_interp.interventions.generation import RunConfig
    from tts_interp.models.qwen3_tts.prompt import PromptRequest
    from tts_interp.models.qwen3_tts.settings import GenerationSettings

    prompt = PromptRequest(text=text, instruct=instruct, speaker=speaker,
                           ref_audio=str(ref_audio) if ref_audio else None, ref_text=ref_text, language=language)
    settings = GenerationSettings(max_new_tokens=max_new_tokens, greedy=greedy, seed=seed)
    return RunConfig(model=model, prompt=prompt, settings=settings, device=device, dtype=dtype)


def print_notes(notes: list[str]) -> None:
    """Print the adapter's notes about the prompt (e.g. an ignored instruct) as warnings."""
    for note in notes:
        console.print(f"[yellow]warning:[/yellow] {note}", soft_wrap=True)


def models(as_json: opt.JsonOption = False) -> None:
    """List the built-in models (tiny, random weights: they prove the machinery, their audio is noise)."""
    if as_json:
        typer.echo(json.dumps([{"id": e.model_id, "family": e.family, "description": e.description}
                               for e in builtin_models()], indent=1))
        return
    table = Table(title="built-in models (any local checkpoint dir or hub id also works)")
    for column in ("id", "family", "description"):
        table.add_column(column)
    for entry in builtin_models():
        table.add_row(entry.model_id, entry.family, entry.description)
    console.print(table)


def sites(model: opt.ModelOption, as_json: opt.JsonOption = False,
          device: opt.DeviceOption = "cpu", dtype: opt.DtypeOption = "float32") -> None:
    """List a model's named sites (patterns, or every site with --json)."""
    from tts_interp.core.device import resolve_device, resolve_dtype

    with status(f"loading {model}"):
        adapter = load_model(model, resolve_device(device), resolve_dtype(dtype))
    specs = adapter.sites()
    if as_json:
        typer.echo(json.dumps({"model": adapter.describe(), "sites": [
            {"name": s.name, "clock": s.clock, "dim": s.dim, "module": s.module_path, "description": s.description}
            for s in specs.values()]}, indent=2))
        return
    for pattern in site_patterns(specs):
        console.print(pattern)


def generate(model: opt.ModelOption, text: opt.TextOption, out: opt.OutOption, instruct: opt.InstructOption = None,
             speaker: opt.SpeakerOption = None, ref_audio: opt.RefAudioOption = None, ref_text: opt.RefTextOption = None,
             language: opt.LanguageOption = "auto", seed: opt.SeedOption = 0, greedy: opt.GreedyOption = False,
             max_new_tokens: opt.MaxFramesOption = 200, device: opt.DeviceOption = "auto",
             dtype: opt.DtypeOption = "float32") -> None:
    """Generate speech with any family: writes audio.wav, the family's codes / mel / alignment and result.json
    (with every setting needed to replay): `ti.load(model).run(...).save(out)`."""
    import time

    from tts_interp.api.model import load
    from tts_interp.interventions.running import run_length

    with status(f"loading {model}"):
        loaded = load(model, device, dtype, needs=("run",))
    voice = voice_fields(speaker, instruct, ref_audio, ref_text, language)
    request, settings = loaded.voice_request(text, voice, seed, greedy, max_new_tokens)
    started = time.perf_counter()
    with frame_progress("generating", max_new_tokens) as on_frame:
        run = loaded.run(request, settings, on_frame=on_frame)
    payload = run.save(out, {"command": "generate", "generate_seconds": round(time.perf_counter() - started, 3)})
    print_notes(payload.get("notes") or [])
    print_done(out, {"audio seconds": round(run_length(payload)[1], 2), "family": loaded.family})


def replay(result: Annotated[Path, typer.Argument(help="result.json of an earlier generate/trace run")],
           out: opt.OutOption) -> None:
    """Re-run a generation from its result.json (model, prompt, settings, seed) with any family; says whether the
    audio (and codes) came out identical: `ti.replay`."""
    from tts_interp.api.run import replay as replay_run

    if not Path(result).is_file():
        raise BadInputError(f"{result} does not exist; give the result.json of a generate or trace run")
    with status(f"replaying {result}"):
        payload = replay_run(result, out)
    print_done(out, {key.replace("_", " "): payload[key] for key in ("identical_audio", "identical_codes")
                     if key in payload} or {"identical": "no original audio beside the result.json"})


def trace(model: opt.ModelOption, text: opt.TextOption, out: opt.OutOption,
          site_names: Annotated[str, typer.Option("--sites", help="comma-separated sites; `*` for every layer, "
                                                                  "e.g. talker.layer.*.resid_out")],
          frames: Annotated[str | None, typer.Option("--frames", help="frames a:b (the positions predicting "
                                                                      "them)")] = None,
          segments: Annotated[str | None, typer.Option("--segments", help="prompt segments, comma-separated "
                                                                          "(instruct, role, text, frames, ...)")] = None,
          codebooks: Annotated[str | None, typer.Option("--codebooks", help="code-predictor codebooks, e.g. "
                                                                            "1:4")] = None,
          positions: Annotated[str | None, typer.Option("--positions", help="Kokoro: phoneme-token positions a:b "
                                                                            "(0 is the boundary token)")] = None,
          instruct: opt.InstructOption = None, speaker: opt.SpeakerOption = None, ref_audio: opt.RefAudioOption = None,
          ref_text: opt.RefTextOption = None, language: opt.LanguageOption = "auto", seed: opt.SeedOption = 0,
          greedy: opt.GreedyOption = False, max_new_tokens: opt.MaxFramesOption = 200, device: opt.DeviceOption = "auto",
          dtype: opt.DtypeOption = "float32") -> None:
    """Generate with any family while saving activations at sites (streamed to OUT/activations as safetensors
    shards): `generate`, with reads into a DiskStore."""
    import time

    from tts_interp.api.model import load
    from tts_interp.tracing.engine import Read
    from tts_interp.tracing.store import DiskStore, site_summary

    selection = Selection(frames=parse_frames(frames), positions=parse_frames(positions, "positions"),
                          segments=tuple(s.strip() for s in (segments or "").split(",") if s.strip()),
                          codebooks=parse_codebooks(codebooks))
    with status(f"loading {model}"):
        loaded = load(model, device, dtype, needs=("run",))
    voice = voice_fields(speaker, instruct, ref_audio, ref_text, language)
    request, settings = loaded.voice_request(text, voice, seed, greedy, max_new_tokens)
    names = [s.name for s in resolve_sites(loaded.adapter.sites(), [site_names])]
    if not names:
        raise BadInputError("no sites given")
    store = DiskStore(Path(out) / "activations")
    started = time.perf_counter()
    with frame_progress(f"tracing {len(names)} sites", max_new_tokens) as on_frame:
        run = loaded.run(request, settings, [Read(name, selection) for name in names], store=store, on_frame=on_frame)
    payload = run.save(out, {"command": "trace", "selection": selection.to_json(), "sites": site_summary(store),
                             "activations": "activations/ (safetensors shards + index.json; "
                                            "tts_interp.tracing.store.load_site)",
                             "generate_seconds": round(time.perf_counter() - started, 3)})
    print_notes(payload.get("notes") or [])
    print_done(out, {"sites": len(payload["sites"]), "activations": str(Path(out) / "activations")})


def voices(model: Annotated[str, typer.Option("--model", "-m", help="a model that speaks in named voices "
                                                                      "(Kokoro, CustomVoice, multi-speaker Grad-TTS)")]
           = "kokoro-82m", device: opt.DeviceOption = "cpu", as_json: opt.JsonOption = False) -> None:
    """List a model's voices (Kokoro: with their labels, language/accent and gender): `ti.load(m).voices()`."""
    from tts_interp.api.model import load

    with status(f"loading {model}"):
        found = load(model, "cpu" if device == "auto" else device).voices()
    if as_json:
        typer.echo(json.dumps(found, indent=1))
        return
    table = Table(title=f"{model} voices")
    columns = list(found[0]) if found else ["voice"]
    for column in columns:
        table.add_column(column)
    for row in found:
        table.add_row(*(str(row[c]) for c in columns))
    console.print(table)
