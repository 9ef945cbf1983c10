"""Kokoro-82M behind the engine's commands: `generate`, `trace`, `direction`, `steer`, `patch` dispatch here for a
Kokoro model, and `voices` / `mission` are Kokoro's own. Options that only mean something for another family
fail in one line."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from tts_interp.cli import options as opt
from tts_interp.cli.common import print_done, progress_bar, status
from tts_interp.core.errors import BadInputError
from tts_interp.interventions.kokoro.defaults import MISSION_ALPHAS, MISSION_SITE

KokoroModelOption = Annotated[str, typer.Option("--model", "-m", help="kokoro-82m (offline int8 build), "
                                                                       "hexgrad/Kokoro-82M or a directory")]


def is_kokoro(model: str) -> bool:
    """Whether a model id routes to the Kokoro family (the one family that can `synthesize`)."""
    from tts_interp.models.registry import family_of

    return family_of(model) == "kokoro"


def refuse_options(given: dict[str, Any]) -> None:
    """Fail on options another family uses but Kokoro does not have."""
    bad = [name for name, value in given.items() if value not in (None, False, "", [], "auto")]
    if bad:
        raise BadInputError(f"{', '.join(bad)} do(es) not apply to Kokoro; it takes --voice (a name or a mix such "
                            "as af_heart:0.7,am_michael:0.3), --language en-us|en-gb and --text")


def _language(language: str | None) -> str | None:
    return None if language in (None, "", "auto") else language


def _session(model: str, device: str):  # noqa: ANN202 - KokoroSession
    from tts_interp.interventions.kokoro.session import KokoroSession

    with status(f"loading {model}"):
        return KokoroSession(model, "cpu" if device == "auto" else device)


def _voice(voice: str | None) -> str:
    if not voice:
        raise BadInputError("give a Kokoro voice with --voice (e.g. af_heart; `tts-interp voices --model "
                            "kokoro-82m` lists them)")
    return voice


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
