"""`tts-interp patch`: activation patching from a source prompt A into a target prompt B, swept over cells."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tts_interp.cli import kokoro_cmds
from tts_interp.cli import options as opt
from tts_interp.cli.common import print_done, progress_bar, say_stale, status
from tts_interp.cli.talker_common import parse_layers, parse_names, request_of
from tts_interp.interventions.session import Session
from tts_interp.models.registry import check_capabilities


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
          sites: Annotated[str, typer.Option("--sites", help="site kinds: resid, attn, mlp (comma-separated)")] = "resid",
          metric: Annotated[str, typer.Option("--metric", help="kl_recovery | logit_diff_recovery")] = "kl_recovery",
          unequal: Annotated[str, typer.Option("--unequal", help="segments of unequal length: refuse | relative")
                             ] = "refuse",
          audio: Annotated[bool, typer.Option("--audio", help="also generate (greedy) A, B and B patched per cell, "
                                                              "with an eval manifest")] = False,
          codes: opt.CodesOption = None, max_new_tokens: opt.MaxFramesOption = 100, device: opt.DeviceOption = "auto",
          dtype: opt.DtypeOption = "float32") -> None:
    """Patch A's activations into B (the main prompt options) per layer x segment; teacher-forced, deterministic.

    Kokoro: A's voice into B's run (--source-voice, --voice) site by site with --sites (names or patterns), on
    A's durations and the same seed; plus every site at once (which reproduces A).
    """
    if kokoro_cmds.is_kokoro(model):
        kokoro_cmds.refuse_options({"--instruct": instruct, "--ref-audio": ref_audio, "--layers": layers,
                                    "--segments": segments, "--source-instruct": source_instruct})
        return kokoro_cmds.patch(model, text, out, source_speaker, speaker, sites, 0, device)
    from tts_interp.interventions.patch_sweep import plan_patch_sweep, run_patch_sweep
    from tts_interp.interventions.talker.prompts import derive_request, load_codes
    from tts_interp.report.talker_plots import plot_patch

    target = request_of(text, instruct, speaker, ref_audio, ref_text, language)
    source = derive_request(target, instruct=source_instruct, no_instruct=source_no_instruct, speaker=source_speaker,
                            ref_audio=str(source_ref_audio) if source_ref_audio else None, ref_text=source_ref_text)
    with status(f"loading {model}"):
        check_capabilities(model, ("teacher_force", "lens"))
        session = Session(model, device, dtype)
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
