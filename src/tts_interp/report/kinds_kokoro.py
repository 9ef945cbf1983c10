"""Report sections of Kokoro's mission (`tts-interp mission`, what `make demo` runs).

The answer first: the steering curve beside the style-vector reference and the comparison at equal identity
shift; then a listening grid (a row per held-out text, a column per cell, the unedited source first, the scores
under each player); then every cell with n and CIs (and why a refused cell was refused); the eval's item table
last, folded."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tts_interp.report import html
from tts_interp.report.kinds_eval import render_eval
from tts_interp.report.mission_plots import steering_curve_png
from tts_interp.report.run_dir import RunDir, load_result, number

STATS = ("identity_shift", "similarity_to_source", "similarity_to_target", "wer")


def _answer(result: Mapping[str, Any]) -> str:
    config = result["config"]
    shifts = [[e.get("edit"), e.get("identity_shift"), round(e["alpha"], 2) if e.get("reached") else "not reached",
               _round(e.get("wer")), _round(e.get("similarity_to_source"))] for e in result.get("equal_shift") or []]
    question = (f"Does steering {config['source_voice']} along a female->male direction at {config['site']} move "
                "the voice as far as editing the style vector does, and do the words survive?")
    return html.section(
        "answer", html.note(question),
        html.figure_png(steering_curve_png(result), "identity shift and WER against alpha (95% CIs over texts)",
                        key=True),
        html.table(["edit", "identity shift", "alpha", "WER", "similarity to source"], shifts,
                   caption="at equal identity shift (linear in alpha between cells)"), answer=True)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _listening_grid(run: RunDir, cells: list[Mapping[str, Any]], texts: list[str]) -> str:
    """Rows: held-out texts; columns: cells (the unedited source first); identity shift and WER under each."""
    eval_dir = run.path / "eval"
    scores = {r["id"]: r for r in RunDir(eval_dir, {}, run.page_dir).csv_rows("items.csv")}
    head = "".join(f"<th>{html.esc(_label(c))}</th>" for c in cells)
    body = ""
    for k, text in enumerate(texts):
        row = ""
        for cell in cells:
            item = scores.get(f"{cell['cell']}-{k}", {})
            path = run.find(f"cells/{cell['cell']}-{k}/audio.wav")
            caption = (f"shift {html.fmt(number(item.get('identity_shift')), 2)} · WER {html.fmt(number(item.get('wer')), 2)}"
                       if item.get("status") == "ok" else f"refused: {item.get('error', 'not scored')}"[:60])
            row += "<td>" + (html.small_audio(html.audio_src(path, run.page_dir, run.embed_audio_below), caption)
                             if path else "missing") + "</td>"
        body += f"<tr><th>{html.esc(text)}</th>{row}</tr>"
    table = f"<table class=listen><thead><tr><th>text</th>{head}</tr></thead><tbody>{body}</tbody></table>"
    return html.section("listen", html.note("each cell: the clip, then its identity shift and WER"),
                        html.scroll(table))


def _label(cell: Mapping[str, Any]) -> str:
    return {"none": "source (unedited)", "style": f"style x{cell['alpha']:g}"}.get(cell["edit"],
                                                                                     f"site x{cell['alpha']:g}")


def render_kokoro_mission(run: RunDir) -> list[str]:
    result = run.result
    cells = result.get("cells") or []
    rows = [[c.get("cell"), c.get("edit"), c.get("alpha"), c.get("n"), *(html.stat_cell(c.get(s)) for s in STATS),
             c.get("reason") or ""] for c in cells]
    sections = [_answer(result), _listening_grid(run, cells, list(result["config"].get("eval_texts") or [])),
                html.section("cells", html.note(f"alpha unit: {result.get('units', '')}; the plain cell is the "
                                                "control"),
                             html.scroll(html.table(["cell", "edit", "alpha", "n", *STATS, "refused"], rows)))]
    eval_dir = run.path / "eval"
    if (eval_dir / "result.json").is_file():
        scored = render_eval(RunDir(eval_dir, load_result(eval_dir), run.page_dir, run.embed_audio_below))
        sections.append(html.details("the eval harness's scores, item by item", "".join(scored)))
    return sections
