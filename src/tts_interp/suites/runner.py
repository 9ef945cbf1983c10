"""Running a suite: skip finished work items, run and score the rest of this shard, append rows as they finish.

OUT/ holds: suite.yaml (a copy), suite.json (name, fingerprint, scoring), work_items.jsonl (the expanded
items), directions/<name>/ (directions the suite built), cells/<id>/ and refs/<hash>/ (audio and run
files of experiment cells and their shared reference runs), results/shard-i-of-n.jsonl (rows),
calibration.json (the verifier's EER on the suite's speaker clips), runs/shard-i-of-n.json (last run of
each shard). The driver is the only writer, whichever executor runs the cells. `status` and `report` only
read these.
"""

from __future__ import annotations

import csv
import json
import shutil
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tts_interp.core.errors import BadInputError, TTSInterpError
from tts_interp.core.fingerprint import StaleResultError, differences
from tts_interp.core.results import write_csv, write_json, write_result
from tts_interp.evals.aggregate import summarise
from tts_interp.evals.evaluate import csv_row
from tts_interp.evals.items import user_columns
from tts_interp.evals.score_config import ROW_COLUMNS
from tts_interp.evals.scoring import Evaluator
from tts_interp.suites.dispatch import plan_jobs, run_stages, scored_items, write_outputs
from tts_interp.suites.execute import execute_batch
from tts_interp.suites.executors import Job, check_executor, make_executor
from tts_interp.suites.grid import grid_columns
from tts_interp.suites.set_scores import suite_attackers
from tts_interp.suites.spec import Suite, WorkItem, in_shard, load_suite
from tts_interp.suites.store import ResultWriter, read_rows

STATE_FILE, WORK_FILE, CALIBRATION_FILE = "suite.json", "work_items.jsonl", "calibration.json"


def _claim_out_dir(suite: Suite, suite_path: Path, out_dir: Path) -> None:
    """Record the suite in OUT, or check OUT already belongs to this very suite (same fingerprint)."""
    state_path = out_dir / STATE_FILE
    fingerprint = suite.fingerprint()
    if state_path.is_file():
        existing = json.loads(state_path.read_text())
        if existing.get("fingerprint") != fingerprint:
            changed = differences(existing.get("identity"), suite.identity()) if existing.get("identity") else []
            shown = ", ".join(changed[:6]) + (f", ... ({len(changed)} in all)" if len(changed) > 6 else "")
            raise StaleResultError(f"{out_dir} holds results of another suite or config (fingerprint "
                                   f"{existing.get('fingerprint')} != {fingerprint}"
                                   + (f"; differs in: {shown}" if shown else "") + "); use a new --out directory")
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(suite_path, out_dir / "suite.yaml")
    work_tmp = out_dir / (WORK_FILE + ".tmp")
    work_tmp.write_text("".join(json.dumps(w.to_json()) + "\n" for w in suite.items))
    work_tmp.replace(out_dir / WORK_FILE)
    write_json(state_path, {"name": suite.name, "fingerprint": fingerprint, "scoring": suite.scoring.to_dict(),
                            "n_items": len(suite.items), "identity": suite.identity()})


def _load_state(out_dir: Path) -> tuple[dict[str, Any], list[WorkItem]]:
    out_dir = Path(out_dir)
    if not (out_dir / STATE_FILE).is_file():
        raise BadInputError(f"{out_dir} is not a suite output directory (no {STATE_FILE}); run `tts-interp suite "
                            "run SUITE.yaml --out DIR` first")
    state = json.loads((out_dir / STATE_FILE).read_text())
    items = [WorkItem(**{**row, "axes": tuple(row.get("axes", ()))})
             for row in map(json.loads, (out_dir / WORK_FILE).read_text().splitlines()) if row]
    return state, items


def pending_items(suite: Suite, out_dir: Path, shard: tuple[int, int], retry_failed: bool = False
                  ) -> tuple[list[WorkItem], int, int]:
    """This shard's work items to score (not yet in any results file; with `retry_failed`, also those whose
    row failed), how many items the shard has, and how many of the pending ones are retries."""
    rows = read_rows(out_dir)[0]
    failed = {row["work_id"] for row in rows if row.get("status") == "failed"} if retry_failed else set()
    done = {row["work_id"] for row in rows} - failed
    mine = [w for w in suite.items if in_shard(w.id, shard)]
    todo = [w for w in mine if w.id not in done]
    return todo, len(mine), sum(w.id in failed for w in todo)


def run_suite(suite_path: Path, out_dir: Path, shard: tuple[int, int] = (0, 1), executor: str = "local",
              address: str | None = None, on_total: Callable[[int], None] | None = None,
              advance: Callable[[int], None] | None = None, retry_failed: bool = False) -> dict[str, Any]:
    """Run and score this shard's unfinished items (and, with `retry_failed`, its failed ones) on `executor`,
    appending each row as it finishes; returns the run summary."""
    started = time.time()
    suite_path, out_dir = Path(suite_path), Path(out_dir)
    suite = load_suite(suite_path)
    check_executor(executor, address)
    _claim_out_dir(suite, suite_path, out_dir)
    todo, n_mine, n_retried = pending_items(suite, out_dir, shard, retry_failed)
    if on_total is not None:
        on_total(len(todo))
    engine = make_executor(executor, address)
    writer = ResultWriter(out_dir, shard)
    counts = {"scored": 0, "failed": 0}

    def finished(job: Job, results: list[dict[str, Any]]) -> None:
        for result in results:
            write_outputs(out_dir, result["files"])
            writer.append(result["row"])
            counts["scored"] += 1
            counts["failed"] += result["row"]["status"] == "failed"
            if advance is not None:
                advance(1)

    try:
        lost = run_stages(suite, todo, out_dir, engine)
        if lost:
            raise TTSInterpError(f"a stage failed ({lost[0].label}: {lost[0].reason}); nothing else ran")
        lost = engine.map(execute_batch, plan_jobs(suite, todo, out_dir), finished)
        executor_info = engine.describe()
    finally:
        writer.close()
        engine.close()
    evaluator = Evaluator(suite.scoring)
    scored = scored_items(read_rows(out_dir)[0], out_dir)
    calibration = evaluator.calibrate(scored, [e.audio for e in scored])
    write_json(out_dir / CALIBRATION_FILE, calibration)
    payload = {"command": "suite run", "suite": suite.name, "fingerprint": suite.fingerprint(),
               "shard": f"{shard[0]}/{shard[1]}", "n_items_suite": len(suite.items), "n_items_shard": n_mine,
               "n_already_done": n_mine - len(todo), "n_scored_now": counts["scored"], "n_retried": n_retried,
               "n_failed_now": counts["failed"], "n_lost_now": len(todo) - counts["scored"],
               "lost_jobs": [{"job": x.label, "reason": x.reason} for x in lost[:50]], "executor": executor_info,
               "config": suite.scoring.to_dict(), "backends": evaluator.describe(), "verifier_calibration": calibration,
               "seconds": round(time.time() - started, 2)}
    write_json(out_dir / "runs" / f"shard-{shard[0]}-of-{shard[1]}.json", payload)
    write_result(out_dir, payload)
    return payload


def suite_status(out_dir: Path) -> dict[str, Any]:
    """How far a suite run has got: done / failed / pending, per results file."""
    state, items = _load_state(out_dir)
    rows, dropped = read_rows(out_dir)
    done = {r["work_id"] for r in rows}
    per_file = {p.name: sum(1 for line in p.read_text().splitlines() if line.strip())
                for p in sorted((Path(out_dir) / "results").glob("shard-*.jsonl"))}
    return {"suite": state["name"], "fingerprint": state["fingerprint"], "n_items": len(items),
            "n_done": len(done), "n_ok": sum(r["status"] == "ok" for r in rows),
            "n_failed": sum(r["status"] == "failed" for r in rows),
            "failed_reasons": dict(Counter(str(r.get("error")) for r in rows if r["status"] == "failed")),
            "n_pending": sum(w.id not in done for w in items), "rows_per_file": per_file, **dropped}


def suite_report(out_dir: Path) -> dict[str, Any]:
    """Merge every shard's rows into items.csv and aggregates in result.json; run the set scorers the scoring
    config names (attackers -> attackers.csv) over the merged rows."""
    out_dir = Path(out_dir)
    state, items = _load_state(out_dir)
    rows, dropped = read_rows(out_dir)
    order = {w.id: i for i, w in enumerate(items)}
    rows.sort(key=lambda r: order.get(r["work_id"], len(order)))
    calibration_path = out_dir / CALIBRATION_FILE
    calibration = (json.loads(calibration_path.read_text()) if calibration_path.is_file()
                   else {"available": False, "reason": "no calibration.json yet: no shard has finished a run"})
    axes = grid_columns(items)
    columns = ("work_id", "kind") + ROW_COLUMNS
    user = user_columns((r.get("fields") or {} for r in rows), columns + tuple(axes))
    with open(out_dir / "items.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=("work_id", "kind", *axes) + ROW_COLUMNS + tuple(user.values()))
        writer.writeheader()
        for row in rows:
            writer.writerow({**csv_row(row, columns, user), **{name: axes[name].get(row["work_id"], "") for name in axes}})
    pending = [w.id for w in items if w.id not in {r["work_id"] for r in rows}]
    payload = {"command": "suite report", "suite": state["name"], "fingerprint": state["fingerprint"],
               "config": state["scoring"], "complete": not pending, "n_pending": len(pending),
               "pending_ids": pending[:50], "verifier_calibration": calibration,
               "aggregates": summarise(rows, calibration, state["scoring"].get("seed", 0)),
               "items_csv": "items.csv", **dropped}
    fits = {p.parent.name: json.loads(p.read_text()) for p in sorted((out_dir / "erasers").glob("*/result.json"))}
    if fits:  # erasers the suite fitted: their held-out probes (the LEACE guarantee, checked on unseen runs)
        payload["erasers"] = {name: {k: fit.get(k) for k in ("label", "classes", "sites", "rank", "held_out_probe",
                                                              "probe", "counts")} for name, fit in fits.items()}
    if "attackers" in state["scoring"].get("scorers", ()):
        payload["attackers"] = suite_attackers(rows, items, out_dir, state["scoring"])
        payload["attackers_csv"] = "attackers.csv"
        write_csv(out_dir / "attackers.csv", payload["attackers"]["conditions"])
    write_result(out_dir, payload)
    return payload
