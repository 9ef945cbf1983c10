"""Score an erasure sweep (`erase apply`'s OUT): attackers and utility per eraser x site x alpha, the frontier.

Reads OUT/clips.jsonl (every clip with its voice, text index and condition), embeds each clip once with the
speaker verifier (cached on disk) and transcribes it once with the ASR backend, then for each erased
condition computes the attackers of evals/privacy.py and the corpus WER/CER. Writes OUT/privacy/privacy.csv
(one row per condition, the unerased baseline first), OUT/privacy/items.csv (per clip WER) and
OUT/privacy/result.json with the privacy-utility frontier (ignorant EER against WER over alpha, per site).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from tts_interp.core.errors import BadInputError
from tts_interp.core.results import write_csv, write_result
from tts_interp.evals import privacy
from tts_interp.evals.items import EvalItem
from tts_interp.evals.metrics import summary
from tts_interp.evals.scoring import Evaluator, ScoreConfig

CLIPS_FILE = "clips.jsonl"


def read_clips(out_dir: Path) -> list[dict[str, Any]]:
    """The sweep's clip table (one JSON object per line)."""
    path = Path(out_dir) / CLIPS_FILE
    if not path.is_file():
        raise BadInputError(f"{path} does not exist: score the output directory of `tts-interp erase apply`")
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _condition(clip: dict[str, Any]) -> tuple[str, str, float]:
    return (clip["method"], clip.get("site") or "", float(clip["alpha"] or 0.0))


def _utility(rows: list[dict[str, Any]], seed: int) -> dict[str, Any]:
    words = [r for r in rows if r.get("word_errors") is not None]
    return {"wer": summary([r["word_errors"] for r in words], [r["ref_words"] for r in words], seed),
            "cer": summary([r["char_errors"] for r in words], [r["ref_chars"] for r in words], seed)}


def _flat(condition: tuple[str, str, float], scores: dict[str, Any], utility: dict[str, Any], n: int
          ) -> dict[str, Any]:
    method, site, alpha = condition
    row: dict[str, Any] = {"method": method, "site": site, "alpha": alpha, "n_clips": n}
    for key in ("ignorant_eer", "lazy_informed_eer"):
        s = scores[key]
        row |= {key: s["value"], f"{key}_ci95": s["ci95"], f"{key}_n_target": s["n_target"],
                f"{key}_n_nontarget": s["n_nontarget"]}
    ident = scores["identification"]
    row |= {"identification": ident["value"], "identification_ci95": ident["ci95"], "identification_n": ident["n"],
            "identification_chance": ident["chance"]}
    for key in ("wer", "cer"):
        row |= {key: utility[key]["value"], f"{key}_ci95": utility[key]["ci95"], f"{key}_n": utility[key]["n"]}
    return row


def frontier(table: list[dict[str, Any]]) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Per site, per eraser: (alpha, ignorant EER, WER) points ordered by alpha, the unerased point first."""
    base = next(r for r in table if r["method"] == "none")
    out: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for row in table:
        if row["method"] == "none":
            continue
        points = out[row["site"]][row["method"]]
        if not points:
            points.append({"alpha": 0.0, "ignorant_eer": base["ignorant_eer"], "wer": base["wer"], "unerased": True})
        points.append({"alpha": row["alpha"], "ignorant_eer": row["ignorant_eer"],
                       "ignorant_eer_ci95": row["ignorant_eer_ci95"], "wer": row["wer"], "wer_ci95": row["wer_ci95"]})
    return {site: dict(methods) for site, methods in out.items()}


def score_erasure(out_dir: Path, config: ScoreConfig | None = None,
                  advance: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Attackers and utility for every condition of a sweep; writes OUT/privacy/."""
    out_dir = Path(out_dir)
    config = replace(config or ScoreConfig(), scorers=("asr",))
    clips = read_clips(out_dir)
    evaluator = Evaluator(config)
    embeddings = evaluator.embed_files([out_dir / c["audio"] for c in clips])
    items = [EvalItem(c["id"], out_dir / c["audio"], c["text"]) for c in clips]
    asr_rows = {}
    for row in evaluator.score(items):
        asr_rows[row["id"]] = row
        if advance is not None:
            advance(1)
    groups: dict[tuple[str, str, float], list[privacy.Clip]] = defaultdict(list)
    rows_of: dict[tuple[str, str, float], list[dict[str, Any]]] = defaultdict(list)
    failed = []
    for clip in clips:
        embedding = embeddings[out_dir / clip["audio"]]
        if isinstance(embedding, str):
            failed.append({"id": clip["id"], "error": embedding})
            continue
        key = _condition(clip)
        groups[key].append(privacy.Clip(clip["speaker"], int(clip["text_index"]), embedding))
        rows_of[key].append(asr_rows[clip["id"]])
    plain_key = next((k for k in groups if k[0] == "plain"), None)
    if plain_key is None:
        raise BadInputError(f"{out_dir / CLIPS_FILE} has no usable plain clips to enrol on")
    plain = groups[plain_key]
    table = [_flat(("none", "", 0.0), privacy.baseline(plain, config.seed), _utility(rows_of[plain_key], config.seed),
                   len(plain))]
    for key in sorted(k for k in groups if k[0] != "plain"):
        table.append(_flat(key, privacy.attackers(plain, groups[key], config.seed),
                           _utility(rows_of[key], config.seed), len(groups[key])))
    target = out_dir / "privacy"
    write_csv(target / "privacy.csv", table)
    write_csv(target / "items.csv", [{k: asr_rows[c["id"]][k] for k in ("id", "wer", "cer", "hypothesis", "error")}
                                     for c in clips])
    payload = {"command": "erase score", "sweep": str(out_dir), "config": config.to_dict(),
               "backends": evaluator.describe(), "conditions": table, "frontier": frontier(table),
               "failed_clips": failed,
               "protocol": "per voice, the lower half of its texts enrol and the rest are trials; ignorant: enrol on "
                           "plain clips; lazy-informed: enrol on clips erased the same way; identification: nearest "
                           "plain enrolment centroid; EER CI: bootstrap of target and non-target trials; WER/CER: "
                           "corpus rates with a bootstrap CI over clips",
               "files": {"table": "privacy.csv", "items": "items.csv"}}
    write_result(target, payload)
    return payload
