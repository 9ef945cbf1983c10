"""The mission's table for a terminal (fits 100 columns): the key comparison first (each edit's WER and
similarity to the source voice at equal identity shift), then one row per cell (n, mean [95% CI]), then why any
cell's clips were refused."""

from __future__ import annotations

from typing import Any

from tts_interp.report.text_tables import fixed_table, shorten, stat_text, value_ci

CELL_COLUMNS = (("edit", 5), ("alpha", 5), ("n", 2), ("identity shift", 21), ("sim. to source", 18),
                ("sim. to target", 18), ("WER", 18))
COMPARE_COLUMNS = (("edit", 5), ("identity shift", 14), ("alpha", 11), ("WER", 6), ("sim. to source", 14))


def _edit_name(edit: str) -> str:
    return {"none": "none", "style": "style"}.get(edit, "site")


def mission_text(payload: dict[str, Any]) -> str:
    """The whole terminal summary of a mission's result.json payload."""
    config, cells = payload["config"], payload["cells"]
    weights = (payload.get("provenance") or {}).get("weights")
    compare = []
    for row in payload["equal_shift"]:
        reached = row["reached"]
        compare.append([_edit_name(row["edit"]), f"{row['identity_shift']:g}",
                        f"{row['alpha']:.2f}" if reached else "not reached", value_ci(row.get("wer")) if reached
                        else "", value_ci(row.get("similarity_to_source")) if reached else ""])
    lines = [f"female->male on {config['source_voice']} ({weights} weights), steered at a site or the style vector",
             f"  site: {shorten(config['site'], 90)}",
             fixed_table(COMPARE_COLUMNS, compare, "at equal identity shift (linear in alpha between cells):"), ""]
    rows = [[_edit_name(c["edit"]), f"{c['alpha']:g}", c["n"], stat_text(c["identity_shift"]),
             stat_text(c["similarity_to_source"], 2), stat_text(c["similarity_to_target"], 2), stat_text(c["wer"])]
            for c in cells]
    lines.append(fixed_table(CELL_COLUMNS, rows, "cells: mean [95% CI] over n texts; 'none' is the control"))
    lines.append(f"  alpha unit: {payload.get('units', 'the site')}")
    protocol = payload.get("protocol")
    if protocol:
        fit = payload["direction"]["fit_set"]
        lines.append(f"  direction fitted on {len(fit['voices'])} voices x {len(fit['texts'])} texts; scored on "
                     f"{config['source_voice']} ({protocol['protocol']}) and {len(config['eval_texts'])} texts "
                     f"({protocol['text_protocol']})")
    lines += [f"  {c['cell']}: {c['reason']}" for c in cells if c.get("reason")]
    return "\n".join(lines)
