"""Score an erasure sweep (`erase apply`'s OUT): attackers and utility per eraser x site x alpha, the frontier.

Reads OUT/clips.jsonl (every clip with its voice, text and condition), transcribes each clip once with the ASR
backend, then runs the `attackers` set scorer (evals/attackers.py: embeddings cached on disk) over every erased
condition. Writes OUT/privacy/privacy.csv (one row per condition, the original speech first), OUT/privacy/
items.csv (per clip WER) and OUT/privacy/result.json with the privacy-utility frontier (ignorant EER against WER
over alpha, per site).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from tts_interp.core.errors import BadInputError
from tts_interp.core.protocol import FitSet
from tts_interp.core.results import write_csv, write_result
from tts_interp.evals.attackers import EVALUATED, AttackClip, score_attackers
from tts_interp.evals.items import EvalItem
from tts_interp.evals.scoring import Evaluator, ScoreConfig

CLIPS_FILE = "clips.jsonl"


def read_clips(out_dir: Path) -> list[dict[str, Any]]:
    """The sweep's clip table (one JSON object per line)."""
    path = Path(out_dir) / CLIPS_FILE
    if not path.is_file():
        raise BadInputError(f"{path} does not exist: score the output directory of `tts-interp erase apply`")
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def attack_clips(out_dir: Path, clips: list[dict[str, Any]], fits: dict[str, Any] | None = None
                 ) -> list[AttackClip]:
    """The sweep's clips for the attackers: plain runs are original speech; an erased clip's original is the plain
    run of the same voice and text; its condition is eraser, site (or `+` group) and alpha; its fit set is its
    eraser's (`fits`: method -> {voices, texts}); attacker voices keep their role."""
    out_dir = Path(out_dir)
    plain = {(c["speaker"], c["text"]): out_dir / c["audio"] for c in clips if c["method"] == "plain"}
    out = []
    for c in clips:
        erased = c["method"] != "plain"
        condition = {"method": c["method"], "site": c["site"], "alpha": float(c["alpha"])} if erased else {}
        fit = FitSet.from_json((fits or {}).get(c["method"])) if erased else None
        out.append(AttackClip(c["id"], c["speaker"], c["text"], out_dir / c["audio"], condition,
                              plain.get((c["speaker"], c["text"])) if erased else None, c.get("role", EVALUATED),
                              fit))
    return out


def score_erasure(out_dir: Path, config: ScoreConfig | None = None,
                  advance: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Attackers and utility for every condition of a sweep; writes OUT/privacy/. The utility (WER/CER) needs
    `asr` among the config's scorers (the default config has it and `attackers`); with `prosody` too, each
    condition reports the F0-contour correlation with the originals and the speaking-rate change."""
    out_dir = Path(out_dir)
    config = config or ScoreConfig(scorers=("asr", "attackers"))
    clips = read_clips(out_dir)
    evaluator = Evaluator(replace(config, scorers=("asr",)))
    items = [EvalItem(c["id"], out_dir / c["audio"], c["text"]) for c in clips]
    asr_rows = {}
    for row in evaluator.score(items) if "asr" in config.scorers else ():
        asr_rows[Path(row["audio"])] = row
        if advance is not None:
            advance(1)
    sweep = json.loads((out_dir / "result.json").read_text()) if (out_dir / "result.json").is_file() else {}
    fits = {m: e.get("fit") for m, e in (sweep.get("erasers") or {}).items()}
    scored = score_attackers(attack_clips(out_dir, clips, fits), evaluator.verifiers(), asr_rows, config.seed,
                             prosody="prosody" in config.scorers)
    target = out_dir / "privacy"
    write_csv(target / "privacy.csv", scored["conditions"])
    if asr_rows:
        write_csv(target / "items.csv", [{"id": c["id"], **{k: asr_rows[out_dir / c["audio"]][k]
                                                            for k in ("wer", "cer", "hypothesis", "error")}}
                                         for c in clips])
    payload = {"command": "erase score", "sweep": str(out_dir), "model": sweep.get("model"),
               "weights": sweep.get("weights"), "config": config.to_dict(), "backends": evaluator.describe(), **scored,
               "files": {"table": "privacy.csv", **({"items": "items.csv"} if asr_rows else {})}}
    write_result(target, payload)
    return payload
