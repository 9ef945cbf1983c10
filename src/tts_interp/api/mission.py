"""The mission on real weights: a female->male direction at one decoder site, af_heart steered along it at
several alphas beside the style-vector baseline, every cell scored by the eval harness, compared at equal
identity shift.

Speaker clips for the harness: the source voice speaking the direction texts and the anchor texts (the identity
shift's 0, calibrated leave-one-out over these clips) and the male voices' direction runs (its 1). The evaluation
texts are disjoint from both, so the unedited source is scored on held-out clips and reads 0 only if the anchor is
right (with the direction's two texts alone it read -0.13).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tts_interp.api.model import Model
from tts_interp.core.errors import BadInputError
from tts_interp.core.protocol import FitSet, protocol_of
from tts_interp.core.results import write_csv, write_jsonl, write_result
from tts_interp.evals.evaluate import evaluate_manifest
from tts_interp.evals.metrics import summary
from tts_interp.evals.score_config import ScoreConfig
from tts_interp.interventions.directions.direction import save_direction
from tts_interp.interventions.kokoro import experiments as ex
from tts_interp.interventions.kokoro.defaults import MISSION_ALPHAS, MISSION_SITE
from tts_interp.interventions.kokoro.session import write_run
from tts_interp.interventions.session import Session
from tts_interp.models.kokoro.runs import synthesize

DIRECTION_TEXTS = ("The weather was calm, so we walked along the river.",
                   "Please bring the green folder to my office tomorrow.")
ANCHOR_TEXTS = ("The children laughed as the kite rose above the trees.",
                "Our train leaves at seven, so pack your bags tonight.",
                "Nobody expected the old clock to start ticking again.",
                "Turn left at the bakery and you will see the station.")
EVAL_TEXTS = ("She sells fresh bread at the market every morning.",
              "A quiet voice can carry a long way across the water.",
              "He opened the window and the cold air came in.")


@dataclass
class MissionConfig:
    """Everything the mission depends on (saved in result.json)."""

    model: str = "kokoro-82m"
    source_voice: str = "af_heart"
    positive: str = "@en-us/male"  # set A: the direction points from B towards A
    negative: str = "@en-us/female"
    voices_per_set: int = 4
    site: str = MISSION_SITE
    alphas: tuple[float, ...] = MISSION_ALPHAS
    direction_texts: tuple[str, ...] = DIRECTION_TEXTS
    eval_texts: tuple[str, ...] = EVAL_TEXTS
    anchor_texts: tuple[str, ...] = ANCHOR_TEXTS
    seed: int = 0
    device: str = "cpu"
    shift_levels: tuple[float, ...] = (0.25, 0.5)


@dataclass
class MissionResult:
    cells: list[dict[str, Any]]
    comparison: list[dict[str, Any]]
    payload: dict[str, Any] = field(default_factory=dict)


def _pick(voices: list[str], count: int, exclude: str) -> list[str]:
    kept = [v for v in voices if v != exclude]
    return kept[:count] if count else kept


def check_held_out(config: MissionConfig) -> None:
    """Refuse evaluation texts that the direction or the identity-shift anchor was made from."""
    seen = set(config.direction_texts) | set(config.anchor_texts)
    shared = [t for t in config.eval_texts if t in seen]
    if shared:
        raise BadInputError(f"evaluation text {shared[0]!r} is also a direction or anchor text; the mission scores "
                            "only held-out texts (valid: texts in neither direction_texts nor anchor_texts)")


def mission_runs(config: MissionConfig) -> int:
    """How many synthesis runs the mission makes (for a progress bar)."""
    fit = 2 * config.voices_per_set * len(config.direction_texts)
    anchor = len(config.direction_texts) + len(config.anchor_texts)
    return fit + anchor + (1 + 2 * len(config.alphas)) * len(config.eval_texts)


def run_mission(config: MissionConfig, out: Path, advance: Callable[[int], None] | None = None) -> MissionResult:
    """Fit the direction, steer the source voice at every alpha (site and style vector), score every cell on the
    held-out texts and write cells.csv, the eval and result.json into `out`."""
    check_held_out(config)
    out = Path(out)
    session = Session(config.model, config.device, needs=("synthesize",))
    voices = Model(session)
    male = _pick(voices.voice_set([config.positive]), config.voices_per_set, config.source_voice)
    female = _pick(voices.voice_set([config.negative]), config.voices_per_set, config.source_voice)
    sites = [config.site, *ex.STYLE_SITES]
    texts = list(config.direction_texts)
    a = ex.collect(session, male, texts, sites, config.seed, out / "collect", advance)
    b = ex.collect(session, female, texts, sites, config.seed, out / "collect", advance)
    ex.collect(session, [config.source_voice], texts, [config.site], config.seed, out / "collect", advance)
    ex.collect(session, [config.source_voice], config.anchor_texts, [config.site], config.seed, out / "anchor", advance)
    direction = ex.direction_between(session, a, b, info={"positive": male, "negative": female, "texts": texts})
    save_direction(direction, out / "direction.safetensors")

    cells = [("plain", "none", 0.0, [])]
    for alpha in config.alphas:
        cells.append((f"site-{alpha:g}", config.site, alpha, ex.steer_writes(direction, [config.site], alpha)))
        cells.append((f"style-{alpha:g}", "style", alpha, ex.steer_writes(direction, list(ex.STYLE_SITES), alpha)))
    manifest = []
    # paths relative to the manifest's folder (`out`), as the eval harness reads them, whatever the cwd
    source_clips = [f"collect/{config.source_voice}-{k}/audio.wav" for k in range(len(texts))] + \
        [f"anchor/{config.source_voice}-{k}/audio.wav" for k in range(len(config.anchor_texts))]
    target_clips = [f"collect/{v}-{k}/audio.wav" for v in male for k in range(len(texts))]
    for cell_id, edit, alpha, writes in cells:
        for k, text in enumerate(config.eval_texts):
            run = synthesize(session.engine, session.adapter, session.adapter.prepare_chunks(text, config.source_voice), config.seed, writes=writes)
            run_dir = out / "cells" / f"{cell_id}-{k}"
            write_run(run_dir, session, run, {"command": "mission cell", "cell": cell_id, "edit": edit,
                                              "alpha": alpha, "direction": "../../direction.safetensors"})
            manifest.append({"id": f"{cell_id}-{k}", "audio": f"cells/{cell_id}-{k}/audio.wav", "text": text,
                             "reference": {"speaker": config.source_voice, "clips": source_clips},
                             "source": {"speaker": config.source_voice, "clips": source_clips},
                             "target": {"speaker": "+".join(male), "clips": target_clips}})
            if advance is not None:
                advance(1)
    write_jsonl(out / "manifest.jsonl", manifest)
    scored = evaluate_manifest(out / "manifest.jsonl", ScoreConfig(scorers=("speaker", "asr"), device=config.device),
                               out / "eval")
    rows = list(csv.DictReader((out / "eval" / "items.csv").open()))
    table = _cells(rows, [(c[0], c[1], c[2]) for c in cells], config.seed)
    comparison = equal_shift(table, config.shift_levels)
    write_csv(out / "cells.csv", [_flat(c) for c in table])
    fit = FitSet.of(male + female, texts)
    payload = {"command": "kokoro mission", "config": asdict(config), "model": session.adapter.describe(),
               "provenance": session.adapter.provenance, "voices": {"positive": male, "negative": female},
               "direction": {"file": "direction.safetensors", "per_site": direction.info.get("per_site"),
                             "fit_set": fit.to_json()},
               "protocol": protocol_of(fit, [config.source_voice], config.eval_texts),
               "anchor": {"source": source_clips, "target": target_clips},
               "cells": table, "equal_shift": comparison, "eval": {"result": "eval/result.json",
                                                                   "backends": scored["backends"]},
               "units": "alpha x the site's mean row norm along the unit male-minus-female direction"}
    write_result(out, payload)
    return MissionResult(table, comparison, payload)


def _cells(rows: list[dict[str, str]], cells: list[tuple[str, str, float]], seed: int) -> list[dict[str, Any]]:
    """Per cell: n, mean and 95% CI of identity shift, similarity to source and to target, and corpus WER."""
    table = []
    for cell_id, edit, alpha in cells:
        rows_of_cell = [r for r in rows if r["id"].rsplit("-", 1)[0] == cell_id]
        mine = [r for r in rows_of_cell if r["status"] == "ok"]

        def values(key: str, rows_: list[dict[str, str]] = mine) -> list[float]:
            return [float(r[key]) for r in rows_ if r[key] != ""]

        table.append({"cell": cell_id, "edit": edit, "alpha": alpha, "n": len(mine),
                      "identity_shift": summary(values("identity_shift"), seed=seed),
                      "similarity_to_source": summary(values("similarity"), seed=seed),
                      "similarity_to_target": summary(values("target_score"), seed=seed),
                      "wer": summary(values("word_errors"), values("ref_words"), seed=seed),
                      "refused": len(rows_of_cell) - len(mine), "reason": refusal_reason(rows_of_cell)})
    return table


def refusal_reason(rows: list[dict[str, str]]) -> str:
    """Why a cell's clips were not scored: the eval harness's most frequent error, with the clip path cut out
    (e.g. 'clipped: 6.6% of samples at full scale'), and how many clips it refused; '' when none was."""
    errors = [r.get("error") or "" for r in rows if r["status"] != "ok"]
    if not errors:
        return ""
    shortened = [e.split(" is ", 1)[1] if e.startswith("audio ") and " is " in e else e for e in errors]
    common = max(set(shortened), key=shortened.count)
    return f"{len(errors)} of {len(rows)} clips refused: {common}"


def equal_shift(table: list[dict[str, Any]], levels: tuple[float, ...]) -> list[dict[str, Any]]:
    """WER and similarity to the source of each edit, interpolated linearly in alpha at equal identity shift."""
    out = []
    plain = next(c for c in table if c["edit"] == "none")
    for edit in sorted({c["edit"] for c in table} - {"none"}):
        curve = [plain] + sorted((c for c in table if c["edit"] == edit), key=lambda c: c["alpha"])
        shifts = [c["identity_shift"]["value"] for c in curve]
        for level in levels:
            row: dict[str, Any] = {"edit": edit, "identity_shift": level, "reached": False}
            for lo, hi, s_lo, s_hi in zip(curve, curve[1:], shifts, shifts[1:], strict=False):
                if s_lo is not None and s_hi is not None and min(s_lo, s_hi) <= level <= max(s_lo, s_hi) and s_hi != s_lo:
                    w = (level - s_lo) / (s_hi - s_lo)
                    row.update(reached=True, alpha=lo["alpha"] + w * (hi["alpha"] - lo["alpha"]),
                               wer=_lerp(lo["wer"]["value"], hi["wer"]["value"], w),
                               similarity_to_source=_lerp(lo["similarity_to_source"]["value"],
                                                          hi["similarity_to_source"]["value"], w))
                    break
            out.append(row)
    return out


def _lerp(a: float | None, b: float | None, w: float) -> float | None:
    return None if a is None or b is None else float(np.interp(w, [0, 1], [a, b]))


def _flat(cell: dict[str, Any]) -> dict[str, Any]:
    flat = {k: cell[k] for k in ("cell", "edit", "alpha", "n", "refused", "reason")}
    for key in ("identity_shift", "similarity_to_source", "similarity_to_target", "wer"):
        flat[key] = cell[key]["value"]
        ci = cell[key]["ci95"]
        flat[f"{key}_ci95"] = f"{ci[0]:.3f}..{ci[1]:.3f}" if ci else ""
    return flat
