"""Sections every kind of run shares: provenance + settings, metric aggregates with n and CI, and grids.

A grid is the alpha x layer (or any two-axis) table of a sweep: each cell is the mean of a metric over the
rows that fall in it, with its n and a bootstrap 95% CI, shaded by value.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tts_interp.evals.metrics import summary
from tts_interp.report import html
from tts_interp.report.run_dir import RunDir

PROVENANCE_KEYS = ("model", "weights", "codec", "backends", "verifier_calibration")
SETTINGS_KEYS = ("config", "prompt", "request", "settings", "selection", "source_prompt", "target_prompt",
                 "direction", "scoring")
AGGREGATE_LABELS = {"wer_corpus": "WER (corpus)", "cer_corpus": "CER (corpus)", "clone_acceptance_rate":
                    "clone acceptance at the EER threshold"}
RANDOM_WEIGHTS = ("built-in tiny model with random weights: its audio is noise. These numbers prove the "
                  "machinery only, never a finding.")


def has_random_weights(result: Mapping[str, Any]) -> bool:
    """Whether a run's model had random weights (a `tiny-*` built-in, or a random-weight size kept for speed
    checks, which says so in its note): its audio proves machinery only. Kokoro-82M's and Whisper tiny.en's
    offline builds are trained weights, built-in or not."""
    model = result.get("model")
    if isinstance(model, Mapping):
        return str(model.get("model_id", "")).startswith("tiny-") or "random weights" in str(model.get("note", ""))
    return isinstance(model, str) and model.startswith("tiny-")


def _rows(value: Any, prefix: str = "") -> list[list[str]]:
    """A nested settings block as (dotted key, value) rows; a list of scalars stays one value."""
    if isinstance(value, Mapping):
        return [row for key, item in value.items() for row in _rows(item, f"{prefix}.{key}" if prefix else str(key))
                if item not in (None, [], {})]
    if isinstance(value, (list, tuple)) and any(isinstance(v, (Mapping, list)) for v in value):
        return [[prefix, f"{len(value)} entries (see result.json)"]]
    text = ", ".join(html.fmt(v) for v in value) if isinstance(value, (list, tuple)) else html.fmt(value)
    return [[prefix, text]]


def provenance(run: RunDir) -> str:
    """The run's provenance and settings as tables: the model, where its weights came from (with their hash), the
    scorers, the settings, and the command line and package versions that made it; then the raw result.json."""
    result = run.result
    parts = []  # a random-weight model is flagged at the top of its part (html_report.render_run), not again here
    model = result.get("model") if isinstance(result.get("model"), Mapping) else {"model": result.get("model")}
    weights = result.get("provenance") or result.get("weights") or model.get("provenance") or {}
    tables = {"model": model, "weights": weights if isinstance(weights, Mapping) else {"weights": weights}}
    tables |= {key: result[key] for key in PROVENANCE_KEYS[2:] if isinstance(result.get(key), Mapping)}
    settings = {k: v for k, v in result.items() if k not in (*PROVENANCE_KEYS, "provenance", "environment", "command")
                and not isinstance(v, (Mapping, list))}
    settings |= {k: result[k] for k in SETTINGS_KEYS if isinstance(result.get(k), Mapping)}
    tables["settings"] = settings
    tables["environment"] = result.get("environment") or {"note": "not recorded (a result from before 0.1.1)"}
    for title, block in tables.items():
        rows = _rows({k: v for k, v in block.items() if not (title == "model" and k == "provenance")}) \
            if isinstance(block, Mapping) else []
        if rows:
            parts.append(f"<h3>{html.esc(title)}</h3>" + html.table(["", ""], rows, sortable=False))
    parts.append(html.details("full result.json", f"<pre>{html.esc(json.dumps(result, indent=1))}</pre>"))
    return html.section(f"{run.command or 'run'}: settings and provenance", *parts)


def aggregates_table(aggregates: Mapping[str, Any]) -> str:
    """Every `{n, value, ci95}` aggregate of an eval or suite as one row: metric, value [CI], n, baseline."""
    rows, empty = [], []
    for key, stat in aggregates.items():
        if isinstance(stat, Mapping) and "n" in stat and "value" in stat:
            extra = stat.get("reason") or (f"threshold {html.fmt(stat['threshold'])}" if "threshold" in stat else "")
            label = AGGREGATE_LABELS.get(key, key.removesuffix("_mean").replace("_", " ") + " (mean)")
            if stat.get("value") is None:
                empty.append(f"{label}{f' ({extra})' if extra else ''}")
                continue
            rows.append([label, html.stat_cell(stat), stat.get("n"), extra])
    counts = {k: aggregates[k] for k in ("n_items", "n_ok", "n_failed") if k in aggregates}
    missing = html.note("not computed for these items (n = 0): " + "; ".join(empty)) if empty else ""
    return (html.key_values(counts) + html.table(["metric", "value [95% CI] n", "n", "note"], rows,
                                                 caption="click a header to sort") + missing)


def _shade(value: float | None, low: float, high: float) -> str:
    if value is None or not math.isfinite(value) or high <= low:
        return ""
    share = (value - low) / (high - low)
    return f" style=\"background:hsl({210 - 170 * share:.0f},70%,{88 - 18 * share:.0f}%)\""


def grid(rows: Sequence[Mapping[str, Any]], x: str, y: str, metric: str, title: str,
         label: Callable[[Any], str] = html.fmt) -> str:
    """A y (rows) by x (columns) table of the mean of `metric` over `rows`, each with n and a 95% CI."""
    xs = sorted({r[x] for r in rows if r.get(x) is not None}, key=_order)
    ys = sorted({r[y] for r in rows if r.get(y) is not None}, key=_order)
    stats = {}
    for xv in xs:
        for yv in ys:
            values = [float(r[metric]) for r in rows if r.get(x) == xv and r.get(y) == yv
                      and isinstance(r.get(metric), (int, float)) and math.isfinite(r[metric])]
            stats[xv, yv] = summary(values)
    present = [s["value"] for s in stats.values() if s["value"] is not None]
    if not present:
        return ""
    low, high = min(present), max(present)
    head = "".join(f"<th>{html.esc(x)} = {html.esc(label(v))}</th>" for v in xs)
    body = ""
    for yv in ys:
        cells = "".join(f"<td class=num{_shade(stats[xv, yv]['value'], low, high)}>"
                        f"{html.stat_cell(stats[xv, yv]).html}</td>" for xv in xs)
        body += f"<tr><th>{html.esc(y)} = {html.esc(label(yv))}</th>{cells}</tr>"
    return (f"<h3>{html.esc(title)}</h3><table class=grid><thead><tr><th></th>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>")


def _order(value: Any) -> tuple[int, Any]:
    return (0, value) if isinstance(value, (int, float)) else (1, str(value))


def axes_of(rows: Sequence[Mapping[str, Any]], names: Sequence[str]) -> str | None:
    """The first of `names` that the rows carry with more than one distinct value (a swept axis)."""
    for name in names:
        values = {json.dumps(r.get(name), sort_keys=True) for r in rows if r.get(name) is not None}
        if len(values) > 1:
            return name
    return None
