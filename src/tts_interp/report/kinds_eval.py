"""Report sections of scored runs: `eval` (one manifest) and suites (many items, maybe a sweep grid).

Scored rows are joined with what made their audio: an eval's manifest rows (reference clips) and, when the
manifest came from a sweep command (steer, patch), that run's cells (alpha, layers, segment); a suite's
work items (their spec and, for experiment cells, their config and the clips they were scored against). With two swept axes such as alpha and
layer, the page shows the grid of identity shift (or similarity) and WER, each cell with n and a 95% CI.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tts_interp.evals.aggregate import summarise
from tts_interp.report import html
from tts_interp.report.kinds_erase import attackers_section, probe_section
from tts_interp.report.run_dir import RunDir, load_result, number, reference_clips
from tts_interp.report.sections import RANDOM_WEIGHTS, aggregates_table, axes_of, grid, has_random_weights

ITEM_METRICS = ("wer", "cer", "similarity", "identity_shift", "identity_shift_cosine", "target_score",
                "f0_shift_semitones", "duration_s")
X_AXES = ("alpha", "strength")
Y_AXES = ("layer", "layers", "t_range", "segment", "site", "codebooks")
OTHER_SETTINGS = ("seed", "speaker", "direction", "text", "instruct")


def _scalar(value: Any) -> Any:
    """A setting as one table value: a one-element list as its element, a list of scalars as 'a,b', numbers
    parsed from strings (so '3' and 3 are one layer); None for anything nested."""
    if isinstance(value, list) and all(not isinstance(v, (Mapping, list)) for v in value):
        value = value[0] if len(value) == 1 else ",".join(str(v) for v in value)
    if isinstance(value, (Mapping, list)):
        return None
    return number(value) if isinstance(value, str) else value


def _config_of(source: Mapping[str, Any]) -> dict[str, Any]:
    """The scalar settings of a cell or work item, and of its `config` block (which wins)."""
    config = source.get("config")
    merged = {**source, **(config if isinstance(config, Mapping) else {})}
    flat = {k: _scalar(v) for k, v in merged.items() if k != "config"}
    return {k: v for k, v in flat.items() if v is not None}


def _grids(rows: Sequence[Mapping[str, Any]]) -> str:
    """For a sweep (two axes with several values): identity shift (else similarity) and WER grids."""
    x, y = axes_of(rows, X_AXES), axes_of(rows, Y_AXES)
    if x is None or y is None:
        return ""
    shift = "identity_shift" if any(r.get("identity_shift") is not None for r in rows) else "similarity"
    return "".join(grid(rows, x, y, metric, f"{metric} by {x} x {y} (mean over items, 95% bootstrap CI)")
                   for metric in (shift, "wer"))


def reference_sets(run: RunDir, refs: Mapping[str, Mapping[str, list[str]]]) -> tuple[dict[str, str], str]:
    """Each distinct set of reference clips (source, target, reference) shown once: the label of each item's set,
    and the players of every set (items share their references, so a row needs only its own clip)."""
    labels: dict[str, str] = {}
    seen: dict[str, str] = {}
    blocks = []
    for item, roles in refs.items():
        key = json.dumps(roles, sort_keys=True)
        if roles and key not in seen:
            seen[key] = f"refs {len(seen) + 1}"
            players = "".join(run.player(path, f"{role} {i + 1}") for role, paths in roles.items()
                              for i, path in enumerate(paths))
            blocks.append(f"<h3>{html.esc(seen[key])}</h3><div class=clips>{players}</div>")
        if roles:
            labels[item] = seen[key]
    body = html.details(f"reference clips ({len(seen)} set{'s' if len(seen) != 1 else ''}, shared by the items)",
                        "".join(blocks)) if blocks else ""
    return labels, body


def items_table(run: RunDir, rows: Sequence[Mapping[str, Any]], refs: Mapping[str, Mapping[str, list[str]]]) -> str:
    """One row per scored item: status, its settings that vary, every metric it has, its audio and which set of
    reference clips it was scored against (each set is listed once, above the table)."""
    metrics = [m for m in ITEM_METRICS if any(r.get(m) is not None for r in rows)]
    varying = [a for a in X_AXES + Y_AXES + OTHER_SETTINGS if axes_of(rows, [a])]
    labels, ref_players = reference_sets(run, refs)
    columns = ["id", "status"] + varying + metrics + ["audio", "scored against"]
    body = []
    for row in rows:
        line = [row.get("id"), row.get("status")] + [html.fmt(row.get(a)) if isinstance(row.get(a), list)
                                                      else row.get(a) for a in varying]
        line += [number(row.get(m)) for m in metrics]
        line += [run.clips(row.get("audio")), labels.get(str(row.get("id")), "")]
        body.append(line)
    failed = [r for r in rows if r.get("status") == "failed"]
    notes = "".join(html.note(f"failed: {r.get('id')}: {r.get('error')}", warn=True) for r in failed[:20])
    return ref_players + html.table(columns, body, caption="click a header to sort") + notes


def render_eval(run: RunDir) -> list[str]:
    """Aggregates with n and CI, the verifier's calibration, a sweep grid if any, every item with its audio."""
    result = run.result
    manifest = Path(str(result.get("manifest", "")))
    refs: dict[str, dict[str, list[str]]] = {}
    configs: dict[str, dict[str, Any]] = {}
    maker: dict[str, Any] = {}
    if manifest.is_file():
        for line in manifest.read_text().splitlines():
            if line.strip():
                entry = json.loads(line)
                refs[str(entry.get("id"))] = reference_clips(entry, manifest.parent)
        maker = load_result(manifest.parent)
        configs = {str(c.get("id")): _config_of(c) for c in maker.get("cells") or [] if isinstance(c, Mapping)}
    rows = [{**configs.get(r["id"], {}), **{k: number(v) for k, v in r.items()}}
            for r in run.csv_rows(result.get("items_csv", "items.csv"))]
    calibration = result.get("verifier_calibration") or {}
    parts = [html.note(f"the audio was made by `{maker.get('command')}` in {manifest.parent}: " + RANDOM_WEIGHTS,
                       warn=True) if has_random_weights(maker) else "",
             aggregates_table(result.get("aggregates") or {}),
             html.note(f"verifier calibration: {_calibration_text(calibration)}"), _grids(rows),
             items_table(run, rows, refs)]
    attacks = [attackers_section(run, result["attackers"])] if result.get("attackers") else []
    return [html.section("scores", *parts), *attacks]


def _calibration_text(calibration: Mapping[str, Any]) -> str:
    if not calibration.get("available"):
        return f"not available ({calibration.get('reason', 'no speakers')})"
    keys = ("eer", "threshold", "min_dcf", "n_speakers", "n_clips", "n_target_trials", "n_nontarget_trials")
    return ", ".join(f"{k} {html.fmt(calibration[k])}" for k in keys if k in calibration)


def render_suite(run: RunDir) -> list[str]:
    """A suite's rows across shards joined with their work items: aggregates, grid, items with audio."""
    from tts_interp.suites.store import read_rows

    rows, dropped = read_rows(run.path)
    work_file = run.path / "work_items.jsonl"
    items = [json.loads(line) for line in work_file.read_text().splitlines() if line.strip()] \
        if work_file.is_file() else []
    specs = {w["id"]: w.get("spec") or {} for w in items}
    calibration = run.result.get("verifier_calibration") or {}
    joined = []
    refs: dict[str, dict[str, list[str]]] = {}
    for row in rows:
        spec = specs.get(row.get("work_id"), {})
        joined.append({**_config_of(spec), **row, "id": row.get("work_id", row.get("id"))})
        scored = row.get("scored")  # experiment cells record what was scored, paths relative to OUT
        refs[str(row.get("work_id"))] = reference_clips(scored if isinstance(scored, Mapping) else spec, run.path)
    aggregates = run.result.get("aggregates") or summarise(rows, calibration, (run.result.get("config") or {})
                                                           .get("seed", 0))
    pending = len([w for w in items if w["id"] not in {r.get("work_id") for r in rows}])
    parts = [html.key_values({"suite": run.result.get("suite"), "work items": len(items), "scored rows": len(rows),
                              "pending": pending, **dropped}),
             aggregates_table(aggregates), html.note(f"verifier calibration: {_calibration_text(calibration)}"),
             _grids(joined), items_table(run, joined, refs)]
    attacks = [attackers_section(run, run.result["attackers"])] if run.result.get("attackers") else []
    fits = [probe_section(fit, f"erasers {name!r} (fitted by the suite): held-out probe for {fit.get('label')!r}")
            for name, fit in (run.result.get("erasers") or {}).items()]
    return [html.section("suite results", *parts), *fits, *attacks]
