"""Report sections of the talker commands: generate/trace/replay, lens, patch, direction, steer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from tts_interp.evals.metrics import summary
from tts_interp.report import html
from tts_interp.report.run_dir import RunDir, number, reference_clips
from tts_interp.report.sections import grid

LENS_METRICS = ("kl_to_final", "top1_agreement", "entropy", "chosen_rank")
# patch's eval manifest scores the patched run's shift from B (identity source) toward A (identity target)
PATCH_ROLES = {"source": "B (patched into)", "target": "A (patched from)", "reference": "reference"}


def render_generate(run: RunDir) -> list[str]:
    """The audio of one generation (generate, trace, replay) and, for a trace, what was recorded."""
    result = run.result
    files = result.get("files") or {}
    facts = {k: result[k] for k in ("frames", "seconds", "sample_rate", "deterministic", "prompt_mode")
             if k in result}
    parts = [f"<div class=clips>{run.player(files.get('audio', 'audio.wav'), 'audio')}</div>",
             html.key_values(facts)]
    sites = result.get("sites")
    if isinstance(sites, Mapping) and sites:
        parts.append(html.table(["site", "rows", "dim", "frames"],
                                [[s, v.get("rows"), v.get("dim"), html.fmt(v.get("frames"))]
                                 for s, v in sites.items()], caption="activations recorded"))
    return [html.section("audio", *parts)]


def _lens_rows(frames: Mapping[str, np.ndarray], prefix: str) -> list[list[Any]]:
    """Per layer: each lens metric's mean over frames (and codebooks) with n and a bootstrap 95% CI."""
    first = frames[f"{prefix}_{LENS_METRICS[0]}"]
    rows = []
    for layer in range(first.shape[0]):
        row: list[Any] = [layer]
        for metric in LENS_METRICS:
            values = np.asarray(frames[f"{prefix}_{metric}"][layer], dtype=float).ravel()
            row.append(html.stat_cell(summary(values[np.isfinite(values)].tolist())))
        rows.append(row)
    return rows


def render_lens(run: RunDir) -> list[str]:
    """Per-layer lens metrics with CIs over frames, the prompt-effect profile when there is one, the plots."""
    result = run.result
    columns = ["layer"] + [f"{m} [95% CI] n" for m in LENS_METRICS]
    parts = [html.note(f"{result.get('kl_to_final', '')}. {result.get('position', '')} n = frames "
                       "(x codebooks for the code predictor); CIs bootstrap over those.")]
    frames_file = run.find((result.get("files") or {}).get("frames", "lens_frames.npz"))
    if frames_file is not None:
        with np.load(frames_file) as frames:
            parts.append("<h3>talker</h3>" + html.table(columns, _lens_rows(frames, "talker")))
            if "code_predictor_kl_to_final" in frames:
                parts.append("<h3>code predictor</h3>" + html.table(columns, _lens_rows(frames, "code_predictor")))
    else:
        parts.append(html.note("lens_frames.npz is missing: per-layer means only, without CIs", warn=True))
        layers = result.get("layers") or []
        parts.append(html.table(list(layers[0]) if layers else [], [list(r.values()) for r in layers]))
    effect = result.get("prompt_effect")
    if isinstance(effect, Mapping):
        parts.append(_prompt_effect(effect))
    parts.append(run.plots())
    return [html.section("logit lens", *parts)]


def _prompt_effect(effect: Mapping[str, Any]) -> str:
    rows = []
    for layer in effect.get("layers") or []:
        row: list[Any] = [layer["layer"]]
        for name in ("lens_js", "cosine", "relative_l2"):
            row.append(html.stat_cell({"n": effect.get("frames"), "value": layer.get(name),
                                       "ci95": [layer.get(f"{name}_ci_low"), layer.get(f"{name}_ci_high")]}))
        rows.append(row)
    return (f"<h3>prompt effect (differs in: {html.esc(', '.join(effect.get('differs') or []))})</h3>"
            + html.note(str(effect.get("ci", ""))) + html.table(["layer", "lens JS", "cosine", "relative L2"], rows))


def render_patch(run: RunDir) -> list[str]:
    """Every patched cell with its recovery scores and its audio beside A's and B's; a layer x segment grid."""
    result = run.result
    cells = result.get("cells") or []
    refs = {r["id"]: r for r in run.jsonl_rows((result.get("files") or {}).get("manifest", "manifest.jsonl"))}
    parts = [html.note(f"{result.get('frames')} teacher-forced frames per cell (n); deterministic, so no "
                       "sampling CI. Recovery baselines: 0 = stays B (the target prompt), 1 = becomes A (the "
                       f"source); KL(A||B) = {html.fmt(_first(cells, 'kl_source_target'))} is the gap to close. "
                       f"{(result.get('metrics') or {}).get(result.get('metric'), '')}")]
    for kind in result.get("kinds") or sorted({c.get("kind") for c in cells}):
        mine = [c for c in cells if c.get("kind") == kind]
        parts.append(grid(mine, "segment", "layer", result.get("metric", "kl_recovery"), f"{kind}: "
                          f"{result.get('metric', 'kl_recovery')} by layer x segment (n = 1 cell each)"))
    columns = ["id", "layer", "segment", "positions", "kl_recovery", "logit_diff_recovery", "KL(A||patched)",
               "frames where top codes differ", "audio (patched cell beside the plain runs of B and A)"]
    rows = []
    for cell in cells:
        ref = refs.get(cell["id"], {})
        rows.append([cell["id"], cell.get("layer"), cell.get("segment"), cell.get("positions"),
                     cell.get("kl_recovery"), cell.get("logit_diff_recovery"), cell.get("kl_to_source"),
                     cell.get("frames_top_differ"),
                     run.clips(cell.get("audio"), {PATCH_ROLES[k]: v for k, v in reference_clips(ref, run.path).items()})])
    parts.append(html.table(columns, rows, caption="click a header to sort"))
    parts.append(run.plots())
    return [html.section("activation patching", *parts)]


def _first(rows: list[Mapping[str, Any]], key: str) -> Any:
    return next((r[key] for r in rows if r.get(key) is not None), None)


def render_direction(run: RunDir) -> list[str]:
    """Per site: rows per set, the direction's norm (absolute and relative to the activations), probe scores."""
    result = run.result
    per_site = result.get("per_site") or []
    columns = [k for k in (per_site[0] if per_site else {}) if any(r.get(k) is not None for r in per_site)]
    counts = result.get("counts") or {}
    parts = [html.note(f"direction = {result.get('direction', '')}; method {result.get('method')}; "
                       f"n = {counts.get('runs_a')} + {counts.get('runs_b')} runs, "
                       f"{counts.get('rows_a')} + {counts.get('rows_b')} rows (set A + set B)."),
             html.table(columns, [[r.get(c) for c in columns] for r in per_site]), run.plots()]
    return [html.section("direction", *parts)]


def render_steer(run: RunDir) -> list[str]:
    """Every alpha x layer cell's audio beside the plain run, and the alpha x layer grid of its agreement."""
    result = run.result
    cells = [{**c, "layer": number(c.get("layers"))} for c in result.get("cells") or []]
    plain = (result.get("files") or {}).get("plain", "plain/")
    parts = [html.note("code0_agreement_with_plain: share of frames whose codebook-0 code equals the plain run's "
                       "(n = frames of the cell; baseline 1.0 at alpha 0). Score the cells' audio with `tts-interp "
                       "eval --manifest manifest.jsonl`; that eval's report shows the identity shift and WER grid."),
             grid(cells, "alpha", "layer", "code0_agreement_with_plain", "codebook-0 agreement with the plain run")]
    rows = [[c["id"], c.get("alpha"), c.get("layers"), c.get("op"), c.get("frames"),
             c.get("code0_agreement_with_plain"), run.clips(c.get("audio"), {"plain": [f"{plain}audio.wav"]})]
            for c in cells]
    parts.append(html.table(["id", "alpha", "layers", "op", "frames (n)", "code0 agreement", "audio"], rows,
                            caption="click a header to sort"))
    parts.append(run.plots())
    return [html.section("steering sweep", *parts)]
