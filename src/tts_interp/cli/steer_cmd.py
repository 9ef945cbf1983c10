"""`tts-interp steer`: generate with a direction added (or projected out) over a sweep of alpha x layer."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tts_interp.cli import kokoro_cmds
from tts_interp.cli import options as opt
from tts_interp.cli.common import print_done, progress_bar, say_stale, status
from tts_interp.cli.model_cmds import run_config
from tts_interp.cli.talker_common import parse_layers, parse_names, selection_of
from tts_interp.core.errors import BadInputError
from tts_interp.interventions.session import Session
from tts_interp.models.registry import check_capabilities


def steer(model: opt.ModelOption, text: opt.TextOption, out: opt.OutOption,
          direction: Annotated[Path, typer.Option("--direction", help="direction.safetensors from `direction`")],
          layers: Annotated[str | None, typer.Option("--layers", help="talker layers: 3 or 2,4 or 0:4 (a sweep "
                                                                    "axis)")] = None,
          sites: Annotated[str | None, typer.Option("--sites", help="Kokoro: sites to steer (default: the "
                                                                    "direction's)")] = None,
          alphas: Annotated[str, typer.Option("--alphas", help="strengths, comma-separated (a sweep axis); add: "
                                                               "units of the site's mean norm")] = "0,1",
          op: Annotated[str, typer.Option("--op", help="add | project_out")] = "add",
          together: Annotated[bool, typer.Option("--together", help="steer all --layers at once (one cell per "
                                                                    "alpha)")] = False,
          kind: Annotated[str, typer.Option("--kind", help="site kind: resid | attn | mlp")] = "resid",
          component: Annotated[int, typer.Option("--component", help="PCA component to use")] = 0,
          segments: opt.SegmentsOption = None, frames: opt.FramesOption = None, instruct: opt.InstructOption = None,
          speaker: opt.SpeakerOption = None, ref_audio: opt.RefAudioOption = None, ref_text: opt.RefTextOption = None,
          language: opt.LanguageOption = "auto", seed: opt.SeedOption = 0, greedy: opt.GreedyOption = False,
          max_new_tokens: opt.MaxFramesOption = 200, device: opt.DeviceOption = "auto", dtype: opt.DtypeOption = "float32",
          on_stale: opt.OnStaleOption = "recompute") -> None:
    """Steered generations, one run directory per (alpha, layer) cell, plus cells.csv and an eval manifest."""
    if kokoro_cmds.is_kokoro(model):
        kokoro_cmds.refuse_options({"--layers": layers, "--instruct": instruct, "--ref-audio": ref_audio,
                                    "--segments": segments, "--frames": frames})
        values = kokoro_cmds.parse_alphas(alphas)
        return kokoro_cmds.steer(model, text, out, direction, sites, values, speaker, op, seed, device)
    from tts_interp.interventions.steer_sweep import plan_steer_sweep, run_steer_sweep
    from tts_interp.report.talker_plots import plot_steer

    config = run_config(model, text, instruct, speaker, ref_audio, ref_text, language, seed, greedy, max_new_tokens,
                        device, dtype)
    layer_list = parse_layers(layers)
    if not layer_list:
        raise BadInputError("give at least one layer with --layers")
    with status(f"loading {model}"):
        check_capabilities(model, ("generate",))
        session = Session(model, device, dtype)
    plan = plan_steer_sweep(session, config, direction, layer_list, parse_names(alphas) or [], op,
                            selection_of(segments, frames), kind, component, together)
    with progress_bar(f"steering: plain run + {len(plan.cells)} cells", plan.runs) as advance:
        sweep = run_steer_sweep(session, plan, out, advance, say_stale, on_stale)
    plots = plot_steer(out, sweep)
    print_done(out, {"cells": len(sweep.rows), "op": op, "deterministic": sweep.payload["deterministic"],
                     "manifest": str(Path(out) / "manifest.jsonl"), "plots": ", ".join(plots)})
