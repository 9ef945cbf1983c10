"""`tts-interp steer`: generate with a direction added (or projected out) over a sweep of alpha x layer."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tts_interp.api.model import load
from tts_interp.cli import options as opt
from tts_interp.cli.common import print_done, progress_bar, say_stale, status
from tts_interp.cli.talker_common import parse_layers, parse_names, selection_of, voice_fields
from tts_interp.core.errors import BadInputError


def steer(model: opt.ModelOption, text: opt.TextOption, out: opt.OutOption,
          direction: Annotated[Path, typer.Option("--direction", help="direction.safetensors from `direction`")],
          layers: Annotated[str | None, typer.Option("--layers", help="talker layers: 3 or 2,4 or 0:4 (a sweep "
                                                                    "axis)")] = None,
          sites: Annotated[str | None, typer.Option("--sites", help="sites to steer by name, all at once (e.g. "
                                                                    "Kokoro's style.timbre,style.prosody); with "
                                                                    "neither this nor --layers: the direction's")] = None,
          alphas: Annotated[str, typer.Option("--alphas", help="strengths, comma-separated (a sweep axis); add: "
                                                               "units of the site's mean norm")] = "0,1",
          op: Annotated[str, typer.Option("--op", help="add | project_out")] = "add",
          together: Annotated[bool, typer.Option("--together", help="steer all --layers at once (one cell per "
                                                                    "alpha)")] = False,
          kind: Annotated[str | None, typer.Option("--kind", help="the layers' site kind (default: the family's "
                                                                  "first; Qwen3-TTS resid | attn | mlp, Kokoro "
                                                                  "decoder | plbert)")] = None,
          component: Annotated[int, typer.Option("--component", help="PCA component to use")] = 0,
          segments: opt.SegmentsOption = None, frames: opt.FramesOption = None, instruct: opt.InstructOption = None,
          speaker: opt.SpeakerOption = None, ref_audio: opt.RefAudioOption = None, ref_text: opt.RefTextOption = None,
          language: opt.LanguageOption = "auto", seed: opt.SeedOption = 0, greedy: opt.GreedyOption = False,
          max_new_tokens: opt.MaxFramesOption = 200, device: opt.DeviceOption = "auto", dtype: opt.DtypeOption = "float32",
          on_stale: opt.OnStaleOption = "recompute") -> None:
    """Steered generations with any family, one run directory per (alpha, layer) cell (or per alpha at --sites,
    all at once; neither: the direction's own sites), plus cells.csv and an eval manifest."""
    from tts_interp.interventions.generation import RunConfig
    from tts_interp.interventions.steering.sweep import plan_steer_sweep, run_steer_sweep
    from tts_interp.report.talker_plots import plot_steer

    layer_list = parse_layers(layers) if layers else []
    site_list = parse_names(sites) or []
    if layer_list and site_list:
        raise BadInputError("give --layers or --sites, not both")
    with status(f"loading {model}"):
        loaded = load(model, device, dtype, needs=("run",))
    voice = voice_fields(speaker, instruct, ref_audio, ref_text, language)
    request, settings = loaded.voice_request(text, voice, seed, greedy, max_new_tokens)
    config = RunConfig(model, request, settings, device, dtype)
    plan = plan_steer_sweep(loaded.session, config, direction, layer_list, parse_names(alphas) or [], op,
                            selection_of(segments, frames), kind, component, together,
                            site_list)
    with progress_bar(f"steering: plain run + {len(plan.cells)} cells", plan.runs) as advance:
        sweep = run_steer_sweep(loaded.session, plan, out, advance, say_stale, on_stale)
    plots = plot_steer(out, sweep)
    print_done(out, {"cells": len(sweep.rows), "op": op, "deterministic": sweep.payload["deterministic"],
                     "manifest": str(Path(out) / "manifest.jsonl"), "plots": ", ".join(plots)})
