"""Suite files: YAML with `scoring` options and `items`, expanded to work items with stable ids.

Each entry under `items` has a `kind`. Scoring kinds live in ITEM_KINDS: `audio` (one clip, given inline)
and `manifest` (every row of a JSONL manifest); each expands an entry into work items and realises a work
item into an EvalItem to score. Experiment kinds (generate, steer, patch, erase, codes-ablate, codes-swap,
hspace-edit) live in suites/experiments.py: an entry is a grid of cells, each run and then scored.
`directions:` and `erasers:` name what steer and erase cells read, from files or built by the suite
(suites/stages.py); `resources:` gives num_cpus / num_gpus per kind (for the Ray executor; not part of any id).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tts_interp.core.errors import BadInputError, UnknownNameError
from tts_interp.core.fingerprint import content_hash, fingerprint
from tts_interp.evals.items import BadRow, EvalItem, parse_item, read_manifest
from tts_interp.evals.score_config import ScoreConfig
from tts_interp.suites.experiments import EXPERIMENT_KINDS, expand_entry, parse_resources
from tts_interp.suites.stages import SECTIONS, Artefact, parse_stage

SUITE_FIELDS = ("name", "seed", "scoring", "directions", "erasers", "resources", "items")


@dataclass(frozen=True)
class WorkItem:
    """One unit of work: a stable id, its kind, the JSON spec it is realised from (paths absolute), and the
    fields its suite entry swept in `grid:` (what sets one cell's condition apart from another's; not part of
    the id, which the spec fixes)."""

    id: str
    kind: str
    spec: dict[str, Any]
    axes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "spec": self.spec, **({"axes": list(self.axes)} if self.axes else {})}

    def identity(self) -> dict[str, Any]:
        """What the item computes: id, kind and spec."""
        return {"id": self.id, "kind": self.kind, "spec": self.spec}


@dataclass(frozen=True)
class Suite:
    """A parsed suite: its name, scoring config and expanded work items."""

    name: str
    scoring: ScoreConfig
    items: list[WorkItem]
    source: dict[str, Any]
    artefacts: dict[str, dict[str, Artefact]] = field(default_factory=dict)  # stage kind -> name -> entry
    resources: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def directions(self) -> dict[str, Artefact]:
        return self.artefacts.get("direction", {})

    def identity(self) -> dict[str, Any]:
        """What the results depend on: the scoring config and, per work item, its spec and its files' bytes."""
        return {"scoring": self.scoring.to_dict(),
                "items": {w.id: {"spec": fingerprint(w.identity()), "files": _file_hashes(w.spec)} for w in self.items}}

    def fingerprint(self) -> str:
        """Hash of `identity()`: a results directory belongs to exactly one fingerprint (audio *content*
        included, so the same path with other bytes is another suite)."""
        return fingerprint(self.identity())


def _file_hashes(spec: dict[str, Any]) -> dict[str, str]:
    """Content hash of every audio file a work item's spec names (its clip and speakers' clips)."""
    paths = [spec["audio"]] if isinstance(spec.get("audio"), str) else []
    for role in ("reference", "source", "target"):
        if isinstance(spec.get(role), dict):
            paths += [str(c) for c in spec[role].get("clips", [])]
    return {path: content_hash(path) for path in paths}


def content_id(kind: str, spec: dict[str, Any]) -> str:
    """A stable id from what an item is (kind + spec), for entries without an explicit id."""
    return f"{kind}-" + hashlib.sha1(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:12]


def _spec_of(item: EvalItem) -> dict[str, Any]:
    """A work item's spec: the item as a manifest row with absolute paths, so it stands alone."""
    def speaker(s: Any) -> Any:
        return None if s is None else {"speaker": s.name, "clips": [str(c) for c in s.clips]}

    row = {"id": item.id, "audio": str(item.audio), "text": item.text, "reference": speaker(item.reference),
           "source": speaker(item.source), "target": speaker(item.target)}
    return {**item.fields, **{k: v for k, v in row.items() if v is not None}}


def _expand_audio(entry: dict[str, Any], base: Path) -> list[WorkItem]:
    row = {k: v for k, v in entry.items() if k != "kind"}
    given = row.get("id")
    spec = _spec_of(parse_item({**row, "id": given if given is not None else "unnamed"}, base))
    if given is None:
        spec["id"] = content_id("audio", {k: v for k, v in spec.items() if k != "id"})
    return [WorkItem(spec["id"], "audio", spec)]


def _expand_manifest(entry: dict[str, Any], base: Path) -> list[WorkItem]:
    if not isinstance(entry.get("path"), str):
        raise BadInputError(f"a 'manifest' item needs 'path' (a JSONL file); got {entry!r}")
    out = []
    for row in read_manifest((base / entry["path"]).resolve()):
        if isinstance(row, BadRow):
            out.append(WorkItem(row.id, "bad-row", {"id": row.id, "audio": row.audio, "reason": row.reason}))
        else:
            out.append(WorkItem(row.id, "audio", _spec_of(row)))
    return out


def _realise_audio(work: WorkItem) -> EvalItem | BadRow:
    return parse_item(work.spec, Path("/"))


def _realise_bad_row(work: WorkItem) -> EvalItem | BadRow:
    return BadRow(work.id, work.spec["audio"], work.spec["reason"])


@dataclass(frozen=True)
class ItemKind:
    """How a kind of suite entry expands into work items and how a work item becomes something to score."""

    expand: Callable[[dict[str, Any], Path], list[WorkItem]]
    realise: Callable[[WorkItem], EvalItem | BadRow]


ITEM_KINDS: dict[str, ItemKind] = {
    "audio": ItemKind(_expand_audio, _realise_audio),
    "manifest": ItemKind(_expand_manifest, _realise_audio),
    "bad-row": ItemKind(lambda entry, base: [], _realise_bad_row),  # a manifest row that did not parse
}
USER_KINDS = ("audio", "manifest", *EXPERIMENT_KINDS)


def realise(work: WorkItem) -> EvalItem | BadRow:
    """The EvalItem (or BadRow) a work item stands for."""
    return ITEM_KINDS[work.kind].realise(work)


def load_suite(path: Path) -> Suite:
    """Parse a suite YAML file; unknown fields, kinds or duplicate ids fail with the valid choices."""
    path = Path(path)
    if not path.is_file():
        raise BadInputError(f"suite file {path} does not exist")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise BadInputError(f"suite file {path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise BadInputError(f"suite file {path} must be a mapping with keys {', '.join(SUITE_FIELDS)}")
    unknown = sorted(set(data) - set(SUITE_FIELDS))
    if unknown:
        raise BadInputError(f"suite file {path}: unknown key(s) {unknown}; valid: {', '.join(SUITE_FIELDS)}")
    if not isinstance(data.get("scoring") or {}, dict):
        raise BadInputError(f"suite file {path}: 'scoring' must be a mapping of scoring options, got "
                            f"{data['scoring']!r}")
    scoring = dict(data.get("scoring") or {})
    if "seed" in data:
        if not isinstance(data["seed"], int) or isinstance(data["seed"], bool):
            raise BadInputError(f"suite file {path}: 'seed' must be an integer, got {data['seed']!r}")
        scoring["seed"] = data["seed"]
    config = ScoreConfig.from_dict(scoring)
    entries = data.get("items")
    if not isinstance(entries, list) or not entries:
        raise BadInputError(f"suite file {path}: 'items' must be a non-empty list")
    base = path.parent.resolve()
    try:
        artefacts = {kind: parse_stage(kind, data.get(section), base) for section, kind in SECTIONS.items()}
        resources = parse_resources(data.get("resources"), USER_KINDS)
    except BadInputError as exc:
        raise BadInputError(f"suite file {path}: {exc}") from None
    items: list[WorkItem] = []
    for number, entry in enumerate(entries, 1):
        if not isinstance(entry, dict) or entry.get("kind") not in USER_KINDS:
            kind = entry.get("kind") if isinstance(entry, dict) else entry
            raise UnknownNameError(f"item kind (suite item {number})", kind, USER_KINDS)
        kind = entry["kind"]
        try:
            if kind in EXPERIMENT_KINDS:
                cells = expand_entry(kind, entry, base, config.to_dict(), artefacts)
                axes = tuple(entry.get("grid") or ()) if isinstance(entry.get("grid"), dict) else ()
                items.extend(WorkItem(work_id, kind, spec, axes) for work_id, spec in cells)
            else:
                items.extend(ITEM_KINDS[kind].expand(entry, base))
        except BadInputError as exc:
            raise BadInputError(f"suite file {path}, item {number}: {exc}") from None
    seen: set[str] = set()
    for work in items:
        if work.id in seen:
            raise BadInputError(f"suite file {path}: duplicate item id {work.id!r}; ids must be unique")
        seen.add(work.id)
    return Suite(str(data.get("name") or path.stem), config, items, data, artefacts, resources)


def parse_shard(text: str) -> tuple[int, int]:
    """'i/n' (0 <= i < n) as (i, n)."""
    try:
        index, count = (int(p) for p in text.split("/"))
    except ValueError:
        raise BadInputError(f"--shard {text!r} must look like i/n, e.g. 0/4") from None
    if count < 1 or not 0 <= index < count:
        raise BadInputError(f"--shard {text!r}: need 0 <= i < n and n >= 1")
    return index, count


def in_shard(work_id: str, shard: tuple[int, int]) -> bool:
    """Stable shard membership from the id's hash (independent of item order)."""
    return int(hashlib.sha1(work_id.encode()).hexdigest(), 16) % shard[1] == shard[0]
