"""`tts-interp report DIR`: any run or suite directory -> one self-contained static HTML page.

A table maps each `command` a result.json records to the function that renders its sections; adding a kind
of run is one function and one row. Each part opens with the kind's answer (its key figure and table), and ends
with the settings and provenance as tables. The page embeds plots as base64 PNG; audio is referenced relative to the page, or embedded when smaller than
`embed_audio_below` bytes. A directory without result.json whose sub-directories have one (the demo's
`runs/demo`) becomes one page with a part per run.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tts_interp.core.errors import BadInputError
from tts_interp.report import html
from tts_interp.report.kinds_denoise_codes import (
    render_codes_ablate,
    render_codes_probe,
    render_codes_stats,
    render_codes_swap,
    render_hspace_direction,
    render_hspace_edit,
    render_hspace_sweep,
)
from tts_interp.report.kinds_erase import render_erase_apply, render_erase_fit, render_erase_score
from tts_interp.report.kinds_eval import render_eval, render_suite
from tts_interp.report.kinds_kokoro import render_kokoro_mission
from tts_interp.report.kinds_talker import (
    render_direction,
    render_generate,
    render_lens,
    render_patch,
    render_steer,
)
from tts_interp.report.run_dir import RunDir, load_result
from tts_interp.report.sections import RANDOM_WEIGHTS, has_random_weights, provenance

Renderer = Callable[[RunDir], list[str]]

RENDERERS: dict[str, Renderer] = {
    "generate": render_generate,
    "trace": render_generate,
    "replay": render_generate,
    "lens": render_lens,
    "patch": render_patch,
    "direction": render_direction,
    "steer": render_steer,
    "eval": render_eval,
    "suite run": render_suite,
    "suite report": render_suite,
    "hspace direction": render_hspace_direction,
    "hspace edit": render_hspace_edit,
    "hspace sweep": render_hspace_sweep,
    "codes ablate": render_codes_ablate,
    "codes swap": render_codes_swap,
    "codes stats": render_codes_stats,
    "codes probe": render_codes_probe,
    "erase fit": render_erase_fit,
    "erase apply": render_erase_apply,
    "erase score": render_erase_score,
    "kokoro mission": render_kokoro_mission,
}
PAGE_NAME = "report.html"
PLAIN_RUNS = ("generate", "trace", "replay")  # on a page of several runs, experiments (with an answer) come first


def render_other(run: RunDir) -> list[str]:
    """A kind without its own renderer: every audio file and plot at the top of its directory."""
    players = "".join(run.player(p.name, p.stem) for p in sorted(run.path.iterdir())
                      if p.suffix in (".wav", ".flac"))
    return [html.section("outputs", html.note(f"no dedicated section for {run.command!r}; showing its files"),
                         f"<div class=clips>{players}</div>", run.plots())]


def render_run(run: RunDir) -> str:
    """The kind's own sections (the answer first), then its settings and provenance; a random-weight model is
    flagged above everything."""
    renderer = RENDERERS.get(run.command, render_other)
    flag = html.note(RANDOM_WEIGHTS, warn=True) if has_random_weights(run.result) else ""
    return flag + "".join(renderer(run)) + provenance(run)


def _runs_in(directory: Path) -> list[tuple[Path, dict]]:
    """The directory itself if it is a run (or suite), else its sub-directories that are, experiments before
    plain generations; each with its result."""
    if (directory / "result.json").is_file() or (directory / "suite.json").is_file():
        return [(directory, _load(directory))]
    runs = [(p, _load(p)) for p in sorted(directory.iterdir()) if p.is_dir() and (p / "result.json").is_file()]
    return sorted(runs, key=lambda run: run[1].get("command") in PLAIN_RUNS)  # stable: by name within each group


def _load(directory: Path) -> dict:
    """A run's result.json; a suite that has not finished a run yet has only its suite.json."""
    result = load_result(directory)
    if not result and (directory / "suite.json").is_file():
        result = {"command": "suite run", **json.loads((directory / "suite.json").read_text())}
    return result


def build_report(directory: Path, out: Path | None = None, embed_audio_below: int = 0) -> Path:
    """Write the page for `directory` (default `directory/report.html`) and return its path."""
    directory = Path(directory)
    if not directory.is_dir():
        raise BadInputError(f"report: {directory} is not a directory (give a run or suite output directory)")
    runs = _runs_in(directory)
    if not runs:
        raise BadInputError(f"report: {directory} has no result.json (nor sub-directories with one): it is not the "
                            "output of a tts-interp command")
    page_path = Path(out) if out is not None else directory / PAGE_NAME
    page_path.parent.mkdir(parents=True, exist_ok=True)
    parts = []
    for path, result in runs:
        run = RunDir(path, result, page_path.parent, embed_audio_below)
        body = render_run(run)
        parts.append(body if len(runs) == 1 else f"<article><h1>{html.esc(path.name)}</h1>{body}</article>")
    title = f"tts-interp report: {directory.resolve().name}"
    page_path.write_text(html.page(title, "".join(parts)))
    return page_path
