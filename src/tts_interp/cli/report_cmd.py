"""`tts-interp report DIR`: one self-contained HTML page for a run or suite directory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tts_interp.cli.common import console


def report(directory: Annotated[Path, typer.Argument(help="a run or suite output directory (or a folder of runs)")],
           out: Annotated[Path | None, typer.Option("--out", help="the HTML file (default: DIR/report.html)")] = None,
           embed_audio_below_kb: Annotated[int, typer.Option(
               "--embed-audio-below-kb", help="embed audio files smaller than this many KB in the page (0: "
                                              "reference them relative to the page)")] = 0) -> None:
    """Write one static HTML page: settings, provenance, metrics with n and CIs, plots, audio players."""
    from tts_interp.report.html_report import build_report

    path = build_report(directory, out, embed_audio_below=max(0, embed_audio_below_kb) * 1024)
    console.print(f"[green]report[/green]: {path}")
    print(path)
