"""Report sections of Kokoro's mission (`tts-interp mission`, what `make demo` runs): the cell table with n and
CIs (the plain cell is the control), the comparison at equal identity shift, then every scored clip."""

from __future__ import annotations

from typing import Any

from tts_interp.report import html
from tts_interp.report.kinds_eval import render_eval
from tts_interp.report.run_dir import RunDir, load_result

STATS = ("identity_shift", "similarity_to_source", "similarity_to_target", "wer")


def render_kokoro_mission(run: RunDir) -> list[str]:
    result = run.result
    cells = [[c.get("cell"), c.get("edit"), c.get("alpha"), c.get("n"), *(html.stat_cell(c.get(s)) for s in STATS)]
             for c in result.get("cells") or []]
    shifts = [[e.get("edit"), e.get("identity_shift"), e.get("alpha") if e.get("reached") else "not reached",
               e.get("wer"), e.get("similarity_to_source")] for e in result.get("equal_shift") or []]
    parts: list[Any] = [
        html.note(f"alpha unit: {result.get('units', '')}; the plain cell is the control; a cell with n = 0 had "
                  "every clip refused by the eval harness (reason in eval/items.csv)"),
        html.table(["cell", "edit", "alpha", "n", *STATS], cells),
        html.table(["edit", "identity shift", "alpha", "WER", "similarity to source"], shifts,
                   caption="at equal identity shift (linear in alpha between cells)"),
    ]
    sections = [html.section("mission", *parts)]
    eval_dir = run.path / "eval"
    if (eval_dir / "result.json").is_file():
        sections += render_eval(RunDir(eval_dir, load_result(eval_dir), run.page_dir, run.embed_audio_below))
    return sections
