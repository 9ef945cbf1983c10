"""Running one batch of work items in whatever process the executor chose: run each cell, score, hand back.

`execute_batch` is the one function both executors call (in-process, or as a Ray task). It needs nothing
from the driver but its payload (work items as JSON, the scoring config, input files as bytes), writes
only to a private scratch folder, and returns each finished row with the files the cell made (as
`{path under OUT: bytes}`), so the driver stays the single writer of OUT. Torch runs on `num_threads`
threads in both executors, so the same cell gives the same numbers under either.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from tts_interp.core.device import torch_threads
from tts_interp.core.errors import TTSInterpError
from tts_interp.core.lru import LRU
from tts_interp.evals.items import BadRow, EvalItem, SpeakerSet
from tts_interp.evals.score_config import ScoreConfig
from tts_interp.evals.scoring import Evaluator
from tts_interp.suites.cell import CellContext, Produced, read_tree
from tts_interp.suites.experiments import EXPERIMENT_KINDS
from tts_interp.suites.inputs import unpack_files
from tts_interp.suites.spec import WorkItem, realise

_EVALUATORS = LRU(2)


def _relative(path: Path, scratch: Path) -> str:
    """A path under scratch as its path under OUT; any other path (an input clip) stays absolute."""
    return path.relative_to(scratch).as_posix() if path.is_relative_to(scratch) else str(path)


def scored_json(item: EvalItem | BadRow, scratch: Path) -> dict[str, Any]:
    """What was scored, with paths as they are under OUT (so calibration can re-read the clips)."""
    if isinstance(item, BadRow):
        return {"audio": item.audio}

    def speaker(s: SpeakerSet | None) -> dict[str, Any] | None:
        return None if s is None else {"speaker": s.name, "clips": [_relative(c, scratch) for c in s.clips]}

    return {"audio": _relative(item.audio, scratch), "text": item.text, "reference": speaker(item.reference),
            "source": speaker(item.source), "target": speaker(item.target)}


def _produce(work: WorkItem, ctx: CellContext, files: dict[str, bytes]) -> Produced:
    if work.kind not in EXPERIMENT_KINDS:
        return Produced(realise(work), {})
    ctx.cell_dir.mkdir(parents=True, exist_ok=True)
    config = unpack_files(work.spec["config"], files, ctx.scratch / "inputs" / "files")
    try:
        return EXPERIMENT_KINDS[work.kind].run(work.id, config, ctx)
    except TTSInterpError as exc:
        return Produced(BadRow(work.id, "", f"{work.kind}: {exc}"), {})


def execute_batch(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """Run and score a batch; one {"row": ..., "files": {path under OUT: bytes}} per work item, in order."""
    works = [WorkItem(**{**w, "axes": tuple(w.get("axes", ()))}) for w in payload["items"]]
    config = ScoreConfig.from_dict(payload["scoring"])
    evaluator = _EVALUATORS.get_or_make(repr(sorted(payload["scoring"].items())), lambda: Evaluator(config))
    with torch_threads(int(payload.get("num_threads", 1))), \
            tempfile.TemporaryDirectory(prefix="tts-interp-cell-") as tmp:
        scratch = Path(tmp).resolve()
        inputs = {}
        for name, data in payload.get("inputs", {}).items():
            inputs[name] = scratch / "inputs" / name
            inputs[name].parent.mkdir(parents=True, exist_ok=True)
            inputs[name].write_bytes(data)
        produced = []
        for work in works:
            ctx = CellContext(work.id, scratch, inputs)
            produced.append(_produce(work, ctx, payload.get("files", {})))
        rows = evaluator.score_batch([p.item for p in produced])
        out = []
        for work, made, row in zip(works, produced, rows, strict=True):
            scored = scored_json(made.item, scratch)
            row = {"work_id": work.id, "kind": work.kind, **row, "audio": scored["audio"], "scored": scored,
                   "cell": made.extra}
            out.append({"row": row, "files": {}})
        for name in ("cells", "refs"):
            if (scratch / name).is_dir():
                files = read_tree(scratch / name, name)
                for entry in out:
                    wanted = (f"cells/{entry['row']['work_id']}/", "refs/")
                    entry["files"].update({k: v for k, v in files.items() if k.startswith(wanted)})
        return out


def execute_stage(payload: dict[str, Any]) -> dict[str, bytes]:
    """Build one recipe of a suite's stages (a direction, or erasers; a job like any other); its files as bytes."""
    from tts_interp.suites.stages import build_artefact

    with torch_threads(int(payload.get("num_threads", 1))):
        return build_artefact(payload.get("kind", "direction"), payload["recipe"])
