"""Report sections of the h-space commands (direction, edit, sweep) and the RVQ codebook lab (codes ...)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tts_interp.report import html
from tts_interp.report.run_dir import RunDir


def render_hspace_direction(run: RunDir) -> list[str]:
    info = run.result.get("direction_info") or {}
    facts = {"site": run.result.get("site"), "utterances (n)": run.result.get("utterances"),
             "mean h-space norm": run.result.get("mean_norm"), **info}
    return [html.section("h-space direction", html.key_values(facts), run.plots())]


def render_hspace_edit(run: RunDir) -> list[str]:
    files = run.result.get("files") or {}
    facts = {k: run.result.get(k) for k in ("alpha", "t_range", "direction", "mel_frames", "seconds")}
    return [html.section("h-space edit", f"<div class=clips>{run.player(files.get('audio'), 'edited')}</div>",
                         html.key_values(facts), run.plots())]


def render_hspace_sweep(run: RunDir) -> list[str]:
    """Every prompt x direction x alpha x t-range cell with its audio beside the prompt's plain reference."""
    rows = run.jsonl_rows(str(run.result.get("rows", "rows.jsonl")))
    body = [[r.get("cell_id"), r.get("prompt_index"), r.get("direction_index"), r.get("alpha"),
             html.fmt(r.get("t_range")), r.get("text"), r.get("speaker"),
             run.clips(r.get("audio"), {"plain": [r.get("reference_audio")]} if r.get("direction_index") is not None
                       else {})] for r in rows]
    note = html.note(f"{len(rows)} of {run.result.get('cells')} cells written (unscored: score them with "
                     "`tts-interp eval` on a manifest of rows.jsonl, or in a suite).")
    columns = ["cell", "prompt", "direction", "alpha", "t range", "text", "speaker", "audio"]
    return [html.section("h-space sweep", note, html.table(columns, body, caption="click a header to sort"),
                         run.plots())]


def render_codes_ablate(run: RunDir) -> list[str]:
    """Per utterance: the input, its plain reconstruction and the ablated decode, and the RMS change."""
    rows = [[Path(str(i.get("input"))).name, i.get("frames"), i.get("rms_reconstructed"), i.get("rms_change"),
             run.clips(i.get("ablated"), {"input": [i.get("input")], "reconstructed": [i.get("reconstructed")]})]
            for i in run.result.get("items") or []]
    note = html.note(f"codebooks {run.result.get('codebooks')} ablated ({run.result.get('mode')}); baseline: the "
                     "plain reconstruction of the same codes. n = 1 utterance per row.")
    columns = ["utterance", "frames", "RMS (reconstructed)", "RMS change", "audio (ablated, input, reconstructed)"]
    return [html.section("codebook ablation", note, html.table(columns, rows), _skipped(run))]


def render_codes_swap(run: RunDir) -> list[str]:
    outputs = run.result.get("outputs") or {}
    players = "".join(run.player(outputs.get(k), k.replace("_", " ")) for k in ("swapped", "a_reconstructed",
                                                                                "b_reconstructed"))
    facts = {k: run.result.get(k) for k in ("a", "b", "codebooks_from_a", "align", "frames", "frames_a",
                                            "frames_b", "a_frames_used")}
    return [html.section("codebook swap", f"<div class=clips>{players}</div>", html.key_values(facts))]


def render_codes_stats(run: RunDir) -> list[str]:
    per = run.result.get("per_codebook") or []
    columns = list(per[0]) if per else []
    note = html.note(f"n = {run.result.get('n_frames')} frames of {run.result.get('n_utterances')} utterances; "
                     "the mutual-information plot's control is the same pairs with frames shuffled.")
    return [html.section("codebook statistics", note, html.table(columns, [[r.get(c) for c in columns] for r in per]),
                         run.plots(), _skipped(run))]


def render_codes_probe(run: RunDir) -> list[str]:
    """Per task and feature set: score [CI], chance, shuffled-label control, selectivity, p and q values."""
    parts = []
    for task, info in (run.result.get("tasks") or {}).items():
        results = info.get("results") or []
        metric = "accuracy" if info.get("kind") == "classification" else "r2"
        rows = [[r.get("features"), r.get("mode"),
                 html.stat_cell({"value": r.get(metric), "ci95": (r.get("ci95") or {}).get(metric),
                                 "n": r.get("n_test_frames")}),
                 (r.get("chance") or {}).get(metric), (r.get("control") or {}).get(metric),
                 (r.get("selectivity") or {}).get(metric), r.get("p_value"), r.get("q_value_bh"),
                 r.get("n_test_utterances")] for r in results]
        columns = ["features", "mode", f"{metric} [95% CI] n frames", "chance", "shuffled-label control",
                   "selectivity", "p (permutation)", "q (BH)", "test utterances"]
        parts.append(f"<h3>{html.esc(task)} ({html.esc(info.get('kind'))})</h3>" + html.table(columns, rows))
    return [html.section("codebook probes", *parts, run.plots(), _skipped(run))]


def _skipped(run: RunDir) -> str:
    skipped = run.result.get("skipped") or []
    return html.note(f"skipped inputs: {_names(skipped)}", warn=True) if skipped else ""


def _names(skipped: list[Any]) -> str:
    return "; ".join(f"{s.get('path', s)}: {s.get('reason', '')}" if isinstance(s, Mapping) else str(s)
                     for s in skipped[:20])
