"""From pending work items to executor jobs and back: the stages (directions, erasers), batching, and writing
outputs.

Only the driver calls these. Jobs carry everything a worker needs (items, scoring config, the bytes of the stage
entries and input files they read), so workers never read OUT or the driver's files; their files come back and
are written here, before the row that points at them, each file through a temporary name and a rename.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tts_interp.core.errors import BadInputError
from tts_interp.evals.items import EvalItem, parse_item
from tts_interp.suites.execute import execute_stage
from tts_interp.suites.executors import Job, LocalExecutor, Lost, RayExecutor
from tts_interp.suites.experiments import EXPERIMENT_KINDS
from tts_interp.suites.inputs import pack_files
from tts_interp.suites.spec import Suite, WorkItem
from tts_interp.suites.stages import Artefact, cell_file, current_digest, is_built, store_built


def _needed(suite: Suite, todo: Sequence[WorkItem]) -> list[Artefact]:
    wanted = {(role, ref["name"]) for w in todo if w.kind in EXPERIMENT_KINDS
              for role, ref in w.spec.get("inputs", {}).items()}
    return [suite.artefacts[role][name] for role, name in sorted(wanted)]


def run_stages(suite: Suite, todo: Sequence[WorkItem], out_dir: Path,
               executor: LocalExecutor | RayExecutor) -> list[Lost]:
    """Build every recipe (direction, erasers) the pending items need and OUT does not hold yet (through the
    executor, with the stage's resources)."""
    missing = [a for a in _needed(suite, todo) if a.build is not None and not is_built(a, out_dir)]
    jobs, by_label = [], {}
    for artefact in missing:
        resources = suite.resources.get(artefact.kind, {"num_cpus": 1.0, "num_gpus": 0.0})
        label = f"{artefact.kind}:{artefact.name}"
        jobs.append(Job(label, {"kind": artefact.kind, "recipe": artefact.build,
                                "num_threads": int(resources["num_cpus"])}, resources["num_cpus"], resources["num_gpus"]))
        by_label[label] = artefact
    return executor.map(execute_stage, jobs, lambda job, files: store_built(by_label[job.label], out_dir, files))


def _input_bytes(source: Artefact, out_dir: Path, config: dict[str, Any]) -> bytes:
    """The bytes of the file a cell reads from a stage entry (a path entry must be as it was when loaded)."""
    path = cell_file(source, out_dir, config)
    if source.path is not None and current_digest(source) != source.digest:
        raise BadInputError(f"{source.kind} {path} changed since the suite was loaded; load the suite again")
    return path.read_bytes()


def plan_jobs(suite: Suite, todo: Sequence[WorkItem], out_dir: Path) -> list[Job]:
    """Experiment cells one per job (with the bytes of the stage entries they read); scoring-only items in
    scoring batches."""
    scoring = suite.scoring.to_dict()
    jobs: list[Job] = []
    batch: list[WorkItem] = []

    def job(items: list[WorkItem], inputs: dict[str, bytes], files: dict[str, bytes] | None = None) -> Job:
        resources = suite.resources.get(items[0].kind, {"num_cpus": 1.0, "num_gpus": 0.0})
        payload = {"items": [w.to_json() for w in items], "scoring": scoring, "inputs": inputs,
                   "files": files or {}, "num_threads": int(resources["num_cpus"])}
        return Job(items[0].id if len(items) == 1 else f"{items[0].id}+{len(items) - 1}", payload,
                   resources["num_cpus"], resources["num_gpus"])

    for work in todo:
        if work.kind in EXPERIMENT_KINDS:
            inputs = {role: _input_bytes(suite.artefacts[role][ref["name"]], out_dir, work.spec["config"])
                      for role, ref in work.spec["inputs"].items()}
            jobs.append(job([work], inputs, pack_files(work.spec["config"])))
            continue
        batch.append(work)
        if len(batch) == suite.scoring.batch_size:
            jobs.append(job(batch, {}))
            batch = []
    if batch:
        jobs.append(job(batch, {}))
    return jobs


def write_outputs(out_dir: Path, files: dict[str, bytes]) -> None:
    """Write a cell's files under OUT; a shared reference run already there is kept (it is the same run)."""
    root = Path(out_dir).resolve()
    for rel, data in files.items():
        target = (root / rel).resolve()
        if not target.is_relative_to(root):
            raise BadInputError(f"a cell returned a file outside the output directory: {rel!r}")
        if rel.startswith("refs/") and target.is_file():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")  # shards may write the same ref
        tmp.write_bytes(data)
        tmp.replace(target)


def scored_items(rows: Sequence[dict[str, Any]], out_dir: Path) -> list[EvalItem]:
    """The items the rows scored (paths under OUT made absolute), for the verifier's calibration."""
    items = []
    for row in rows:
        scored = row.get("scored") or {}
        if not scored.get("audio"):
            continue
        fields = {k: v for k, v in scored.items() if v is not None}
        items.append(parse_item({"id": row["work_id"], **fields}, Path(out_dir).resolve()))
    return items
