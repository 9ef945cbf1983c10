"""`tts-interp patch`: activation patching from a source prompt A into a target prompt B, swept over cells."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from tts_interp.api.model import Model, load
from tts_interp.cli import options as opt
from tts_interp.cli.common import print_done, progress_bar, say_stale, status
from tts_interp.cli.talker_common import parse_layers, parse_names, request_of, voice_fields
from tts_interp.core.errors import BadInputError


def patch(model: opt.ModelOption, text: opt.TextOption, out: opt.OutOption, instruct: opt.InstructOption = None,
          speaker: opt.SpeakerOption = None, ref_audio: opt.RefAudioOption = None, ref_text: opt.RefTextOption = None,
          language: opt.LanguageOption = "auto",
          source_instruct: Annotated[str | None, typer.Option("--source-instruct", help="A's instruct")] = None,
          source_no_instruct: Annotated[bool, typer.Option("--source-no-instruct", help="A has no instruct")] = False,
          source_speaker: Annotated[str | None, typer.Option("--source-speaker", "--source-voice",
                                                             help="A's speaker (Kokoro: A's voice)")] = None,
          source_ref_audio: Annotated[Path | None, typer.Option("--source-ref-audio", help="A's reference clip")] = None,
          source_ref_text: Annotated[str | None, typer.Option("--source-ref-text", help="A's reference text")] = None,
          layers: opt.LayersOption = None, segments: opt.SegmentsOption = None,
          sites: Annotated[str, typer.Option("--sites", help="site kinds: resid, attn, mlp (comma-separated); a "
                                                             "model without teacher forcing: site names or patterns "
                                                             "(default: its patch sites)")] = "resid",
          metric: Annotated[str, typer.Option("--metric", help="kl_recovery | logit_diff_recovery")] = "kl_recovery",
          unequal: Annotated[str, typer.Option("--unequal", help="segments of unequal length: refuse | relative")
                             ] = "refuse",
          audio: Annotated[bool, typer.Option("--audio", help="also generate (greedy) A, B and B patched per cell, "
                                                              "with an eval manifest")] = False,
          codes: opt.CodesOption = None, max_new_tokens: opt.MaxFramesOption = 100, device: opt.DeviceOption = "auto",
          dtype: opt.DtypeOption = "float32") -> None:
    """Patch A's activations into B (the main prompt options) per layer x segment; teacher-forced, deterministic.

    A model that cannot be teacher-forced (Kokoro, the denoisers) swaps whole sites between two runs instead: A's
    voice into B's run (--source-voice, --voice) site by site with --sites (names or patterns; default the
    family's patch sites), on A's lengths where the family can force them and the same seed; plus every site at
    once (which reproduces A).
    """
    with status(f"loading {model}"):
        loaded = load(model, device, dtype, needs=("run",))
    voice = voice_fields(speaker, instruct, ref_audio, ref_text, language)
    if "teacher_force" not in loaded.capabilities:
        source = {**voice, "speaker": source_speaker, "instruct": source_instruct,
                  "ref_audio": str(source_ref_audio) if source_ref_audio else None, "ref_text": source_ref_text}
        return patch_runs_to_dir(loaded, text, source, voice, parse_names(sites) if sites != "resid" else None,
                                 Path(out))
    from tts_interp.interventions.patching.sweep import plan_patch_sweep, run_patch_sweep
    from tts_interp.interventions.talker.prompts import derive_request, load_codes
    from tts_interp.report.talker_plots import plot_patch

    target = request_of(text, instruct, speaker, ref_audio, ref_text, language)
    source = derive_request(target, instruct=source_instruct, no_instruct=source_no_instruct, speaker=source_speaker,
                            ref_audio=str(source_ref_audio) if source_ref_audio else None, ref_text=source_ref_text)
    loaded.require("lens")
    session = loaded.session
    forced = load_codes(codes, session.adapter) if codes else None
    kinds, layer_list, segment_list = parse_names(sites) or ["resid"], parse_layers(layers), parse_names(segments)
    plan = plan_patch_sweep(session, source, target, kinds, layer_list, segment_list, unequal, metric)
    with progress_bar(f"patching {len(plan.cells)} cells (+ source and target passes)", plan.passes) as advance:
        sweep = run_patch_sweep(session, plan, out, forced, max_new_tokens, advance, audio, say_stale)
    plots = plot_patch(out, sweep)
    best = max((r for r in sweep.rows if r[metric] is not None), key=lambda r: r[metric], default=None)
    print_done(out, {"cells": len(sweep.rows), "metric": metric,
                     "strongest cell": f"{best['id']} ({best[metric]:.3f})" if best else "none defined",
                     "skipped segments": ", ".join(sweep.payload["skipped_segments"]) or "none",
                     "plots": ", ".join(plots)})


def patch_runs_to_dir(model: Model, text: str, source_voice: dict[str, Any], voice: dict[str, Any],
                      sites: list[str] | None, out: Path, seed: int = 0) -> None:
    """Swap sites between two plain runs (`interventions/patching/runs.py`) and write source/, target/, cells/<site>/,
    an eval manifest (each cell scored from B towards A) and result.json."""
    from tts_interp.core.results import write_jsonl, write_result
    from tts_interp.interventions.patching.runs import patch_between
    from tts_interp.interventions.running import prepare_checked

    adapter = model.adapter
    if not any(v for k, v in source_voice.items() if voice.get(k) != v):
        raise BadInputError("give A's voice with --source-voice (or --source-speaker / --source-ref-audio): "
                            "patching needs two different runs")
    requests = [adapter.request_of(text, fields) for fields in (source_voice, voice)]
    source, target = (prepare_checked(adapter, request) for request in requests)
    with status("patching site by site"):
        result = patch_between(model.session, source, target, adapter.settings_of(seed, True, 200),
                               list(sites or adapter.patch_sites))
    adapter.write_run(out / "source", result.source, None, {"command": "patch source"})
    adapter.write_run(out / "target", result.target, None, {"command": "patch target (aligned to the source)"})
    manifest = []
    for name, run in result.cells.items():
        adapter.write_run(out / "cells" / name, run, None, {"command": "patch", "patched": name})
        manifest.append({"id": name, "audio": f"cells/{name}/audio.wav", "text": text,
                         "source": ["target/audio.wav"], "target": ["source/audio.wav"]})
    write_jsonl(out / "manifest.jsonl", manifest)
    exact = (out / "cells" / "all" / "audio.wav").read_bytes() == (out / "source" / "audio.wav").read_bytes()
    write_result(out, {"command": "patch", "model": adapter.describe(), "source": requests[0].to_json(),
                       "target": requests[1].to_json(), "sites": list(result.cells),
                       "all_sites_reproduce_source": exact, "manifest": "manifest.jsonl"})
    print_done(out, {"cells": len(manifest), "patching every site reproduces the source": exact,
                     "identity shift per site": f"tts-interp eval {out / 'manifest.jsonl'}"})
