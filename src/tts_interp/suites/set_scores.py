"""Set scorers over a suite's rows: the `attackers` (evals/attackers.py) on every condition of the grid.

An experiment cell is a clip of its voice (speaker, reference clip or instruct) saying its text under its
condition: the fields its entry sweeps in `grid:`, but the voice, the text and the seed (a suite with one
condition names it by the cell kind); its original is its voice's plain run at its seed (the first clip it was
scored against). An `audio`/`manifest` item takes its own `voice` and `condition` fields and its
one reference clip, as `tts-interp eval` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from tts_interp.evals.attackers import AttackClip, attack_clip, score_rows
from tts_interp.evals.items import EvalItem
from tts_interp.evals.score_config import ScoreConfig
from tts_interp.evals.scoring import Evaluator
from tts_interp.suites.experiments import EXPERIMENT_KINDS
from tts_interp.suites.grid import grid_columns
from tts_interp.suites.spec import WorkItem
from tts_interp.suites.voice_cells import VOICE_FIELDS

NOT_CONDITION = (*VOICE_FIELDS, "text", "seed", "target", "reference_seeds", "device", "dtype", "role")


def _original(scored: dict[str, Any], out_dir: Path) -> Path | None:
    clips = (scored.get("reference") or {}).get("clips") or []
    return out_dir / clips[0] if clips else None


def _cell_clip(row: dict[str, Any], work: WorkItem, condition: dict[str, Any], audio: Path,
               out_dir: Path) -> AttackClip | str:
    from tts_interp.interventions.erasure.runs import voice_name

    config = work.spec["config"]
    erasure = (row.get("cell") or {}).get("erasure") or {}
    return attack_clip(row["work_id"], audio, config.get("text"), voice_name(config), condition,
                       _original(row.get("scored") or {}, out_dir), config.get("role"), erasure.get("fit"))


def attack_clips(rows: Sequence[dict[str, Any]], items: Sequence[WorkItem], out_dir: Path
                 ) -> list[AttackClip | str]:
    """Each row as an AttackClip, or why it cannot take part (no audio, no voice, no original)."""
    out_dir = Path(out_dir)
    works = {w.id: w for w in items}
    cells = [w for w in items if w.kind in EXPERIMENT_KINDS]
    several_kinds = len({w.kind for w in cells}) > 1
    # work items written before they recorded their grid axes: the config fields that vary across the cells
    varying = tuple(name for name in grid_columns(cells) if not name.endswith("_sha256"))
    out: list[AttackClip | str] = []
    for row in rows:
        work = works.get(row["work_id"])
        if not row.get("audio") or work is None:
            out.append(f"no audio to attack ({row.get('error') or 'the item is not in this suite'})")
            continue
        audio = out_dir / row["audio"]
        if work.kind in EXPERIMENT_KINDS:
            config = work.spec["config"]
            condition = {name: config.get(name) for name in work.axes or varying if name not in NOT_CONDITION}
            if several_kinds or not condition:
                condition = {"kind": work.kind, **condition}
            out.append(_cell_clip(row, work, condition, audio, out_dir))
        else:
            scored, fields = row.get("scored") or {}, row.get("fields") or {}
            clips = (scored.get("reference") or {}).get("clips") or []
            out.append(attack_clip(row["work_id"], audio, scored.get("text"), fields.get("voice"),
                                   fields.get("condition"), out_dir / clips[0] if len(clips) == 1 else None,
                                   fields.get("role"), fields.get("fit")))
    return out


def suite_attackers(rows: Sequence[dict[str, Any]], items: Sequence[WorkItem], out_dir: Path,
                    scoring: dict[str, Any]) -> dict[str, Any]:
    """The `attackers` over the suite's rows (embeddings from the evaluator's on-disk cache, WER from the rows).
    With `asr` among the scorers, the originals (plain runs, never rows themselves) are transcribed here, so the
    original speech's WER is the control of every condition's."""
    config = ScoreConfig.from_dict(scoring)
    evaluator = Evaluator(config)
    asr = {Path(out_dir) / r["audio"]: r for r in rows if r.get("audio")}
    clips = attack_clips(rows, items, out_dir)
    if "asr" in config.scorers:
        originals = {c.original: c.text for c in clips
                     if isinstance(c, AttackClip) and c.original is not None and c.original not in asr}
        words = Evaluator(replace(config, scorers=("asr",)))
        asr |= {Path(r["audio"]): r for r in words.score(EvalItem(str(p), p, t) for p, t in originals.items())}
    return score_rows(clips, [r["work_id"] for r in rows], evaluator.verifiers(), asr, config.seed,
                      "prosody" in config.scorers)
