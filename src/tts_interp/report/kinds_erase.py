"""Report sections of voice erasure: `erase fit` (held-out probes), `erase apply` / `erase score` (attackers,
utility, the privacy-utility frontier, and one sentence heard plain and under every erasure)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tts_interp.report import html
from tts_interp.report.run_dir import RunDir, load_result


def _stat(value: Any, ci: Any, n: Any) -> html.Cell:
    return html.stat_cell({"value": value, "ci95": ci, "n": n})


def probe_section(fit: Mapping[str, Any], title: str = "held-out probe for the erased label") -> str:
    """Per site and eraser: the held-out probe's accuracy [CI] n, its chance level and permutation p."""
    rows = [[p["site"], p["eraser"], p["rank"], _stat(p["accuracy"], p.get("accuracy_ci95"), p.get("n_test_units")),
             p["chance"], p["p_value"], p.get("min_p"), p.get("n_test_rows")] for p in fit.get("held_out_probe") or []]
    table = html.table(["site", "eraser", "rank", "held-out accuracy [95% CI] n units", "chance", "p",
                        "smallest attainable p", "test rows"], rows)
    return html.section(title, html.note(fit.get("probe") or ""), table)


def render_erase_fit(run: RunDir) -> list[str]:
    """An `erase fit` directory: its held-out probe table."""
    return [probe_section(run.result)]


def attackers_table(payload: Mapping[str, Any]) -> str:
    """One row per condition of the `attackers` set scorer (the original speech first), every figure with n."""
    def trials(c: Mapping[str, Any], key: str) -> str:
        return f"{c[f'{key}_n_target']}+{c[f'{key}_n_nontarget']}" if c.get(f"{key}_n_target") else "0"

    rows = []
    for c in payload.get("conditions") or []:
        rows.append([c["condition"], c.get("verifier") or "", c.get("protocol") or "",
                     _stat(c["ignorant_eer"], c["ignorant_eer_ci95"], trials(c, "ignorant_eer")),
                     _stat(c["lazy_informed_eer"], c["lazy_informed_eer_ci95"], trials(c, "lazy_informed_eer")),
                     _stat(c.get("semi_informed_eer"), c.get("semi_informed_eer_ci95"),
                           trials(c, "semi_informed_eer")),
                     _stat(c["identification"], c["identification_ci95"], c["identification_n"]),
                     c["identification_chance"], _stat(c["wer"], c["wer_ci95"], c["wer_n"]),
                     _stat(c["cer"], c["cer_ci95"], c["cer_n"]), c.get("reason") or ""])
    columns = ["condition", "verifier", "protocol", "ignorant EER (0.5 = chance)", "lazy-informed EER",
               "semi-informed EER", "identification", "identification chance", "WER", "CER", "not scored because"]
    return html.table(columns, rows, caption="n: target + non-target trials (EER), trial clips (identification), "
                                             "clips (WER/CER); the first row is the original speech (the unerased "
                                             "control)")


def _same_sentence(sweep: RunDir) -> str:
    """One trial sentence per voice (its highest text index): a row per voice x eraser x site, the plain run
    beside the erased clip at every alpha."""
    clips = sweep.jsonl_rows("clips.jsonl")
    if not clips:
        return ""
    pairs = sorted({(c["method"], c["site"]) for c in clips if c["method"] != "plain"})
    alphas = sorted({float(c["alpha"]) for c in clips if c["method"] != "plain"})
    last = max(c["text_index"] for c in clips)
    by_key = {(c["speaker"], c["text_index"], c["method"], c["site"],
               None if c["alpha"] is None else float(c["alpha"])): c["audio"] for c in clips}
    voices = sorted({c["speaker"] for c in clips})
    text_of = {v: next(c["text"] for c in clips if c["speaker"] == v and c["text_index"] == last) for v in voices}
    one_text = len(set(text_of.values())) == 1
    rows = []
    for voice in voices:
        plain = html.Cell(sweep.player(by_key.get((voice, last, "plain", None, None)), "plain"))
        for method, site in pairs:
            erased = [html.Cell(sweep.player(by_key.get((voice, last, method, site, a)), f"a={a:g}")) for a in alphas]
            said = [] if one_text else [text_of[voice]]
            rows.append([voice, *said, method, site.replace("+", " + "), plain, *erased])
    columns = ["voice", *([] if one_text else ["text"]), "eraser", "site", "plain", *[f"alpha {a:g}" for a in alphas]]
    caption = f"every voice says: {text_of[voices[0]]}" if one_text else ""
    return "<h3>the same sentence before and after erasure</h3>" + html.table(columns, rows, caption=caption,
                                                                               sortable=False)


def _privacy(run: RunDir, sweep_dir: Path) -> list[str]:
    folder = sweep_dir / "privacy"
    payload = load_result(folder)
    if not payload:
        return [html.section("attackers", html.note("not scored yet: run `tts-interp erase score` on this sweep",
                                                    warn=True))]
    scored = RunDir(folder, payload, run.page_dir, run.embed_audio_below, run.shown_plots)
    sweep = RunDir(sweep_dir, load_result(sweep_dir), run.page_dir, run.embed_audio_below, run.shown_plots)
    return [attackers_section(scored, payload), html.section("listen", _same_sentence(sweep))]


def attackers_section(run: RunDir, attacks: Mapping[str, Any]) -> str:
    """The `attackers` set scorer's results (of `erase score`, `eval` or a suite): protocol, the table, the
    frontier plot (frontier.png in the run's directory) and its points, and the clips left out."""
    points = f"<pre>{html.esc(json.dumps(attacks.get('frontier'), indent=1))}</pre>"
    left_out = attacks.get("unusable") or []
    notes = [html.note(f"not scored: {attacks['reason']}", warn=True)] if attacks.get("reason") else []
    notes += [html.note(f"{len(left_out)} clip(s) left out, e.g. {left_out[0]['id']}: {left_out[0]['reason']}",
                        warn=True)] if left_out else []
    warnings = [html.note(w, warn=True) for w in (attacks.get("protocol") or {}).get("warnings", [])]
    return html.section("attackers and utility (VoicePrivacy-style)", *warnings, run.plots(["frontier.png"]),
                        attackers_table(attacks), html.note(attacks.get("design", "")), *notes,
                        html.details("frontier points", points) if attacks.get("frontier") else "", answer=True)


def render_erase_apply(run: RunDir) -> list[str]:
    """The sweep's cells count, then its scored attackers (privacy/) and the clips."""
    facts = {k: run.result.get(k) for k in ("status", "sites", "alphas", "erasers")}
    return [html.section("erasure sweep", html.key_values(facts)), *_privacy(run, run.path)]


def render_erase_score(run: RunDir) -> list[str]:
    """A privacy/ directory: the sweep it scored is its parent."""
    return _privacy(run, run.path.parent)
