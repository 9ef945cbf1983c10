"""`tts-interp mission`: the Kokoro mission (api/mission.py) from the command line: run it, print its table."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from tts_interp.cli import options as opt
from tts_interp.cli.common import print_done, progress_bar
from tts_interp.core.errors import BadInputError
from tts_interp.interventions.kokoro.defaults import MISSION_ALPHAS, MISSION_SITE

KokoroModelOption = Annotated[str, typer.Option("--model", "-m", help="kokoro-82m (offline int8 build), "
                                                                       "hexgrad/Kokoro-82M or a directory")]


def mission(out: opt.OutOption, model: KokoroModelOption = "kokoro-82m",
            site: Annotated[str, typer.Option("--site", help="the decoder site to steer")] = MISSION_SITE,
            alphas: Annotated[str, typer.Option("--alphas", help="strengths (x the site's mean row norm)")] =
            ",".join(f"{a:g}" for a in MISSION_ALPHAS),
            voices_per_set: Annotated[int, typer.Option("--voices-per-set", help="voices per set (0: all)")] = 4,
            seed: opt.SeedOption = 0, device: opt.DeviceOption = "cpu", as_json: opt.JsonOption = False) -> None:
    """Female->male direction at one decoder site, af_heart steered vs the style vector, scored and compared."""
    from tts_interp.api.mission import MissionConfig, mission_runs, run_mission
    from tts_interp.report.kokoro_table import mission_text

    values = tuple(parse_alphas(alphas))
    config = MissionConfig(model=model, site=site, alphas=values, voices_per_set=voices_per_set, seed=seed,
                           device="cpu" if device == "auto" else device)
    with progress_bar("mission: direction runs, then steered cells", mission_runs(config)) as advance:
        result = run_mission(config, out, advance)
    if as_json:
        typer.echo(json.dumps({k: result.payload[k] for k in ("config", "cells", "equal_shift", "units")}, indent=1))
    else:
        typer.echo(mission_text(result.payload))
    print_done(out, {"cells": len(result.cells), "table": "cells.csv"})


def parse_alphas(text: str) -> list[float]:
    try:
        return [float(a) for a in text.split(",") if a.strip()]
    except ValueError:
        raise BadInputError(f"--alphas {text!r} is not a comma-separated list of numbers") from None
