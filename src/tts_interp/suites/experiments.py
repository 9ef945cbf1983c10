"""The table of experiment kinds a suite can run, and how one suite entry becomes work items.

Adding a kind (e.g. features ablate/steer) = one ExperimentKind (fields, check, run) and one row in
EXPERIMENT_KINDS; expansion, ids, execution, scoring and storage do not change.
A work item's spec is `{"config": the cell's checked config, "inputs": {stage kind: the entry's identity}}`
(e.g. the direction a steer cell reads, the erasers an erase cell reads); its id is the hash of kind + spec +
scoring config.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tts_interp.core.errors import BadInputError, UnknownNameError
from tts_interp.suites.audio_kinds import AUDIO_KINDS
from tts_interp.suites.cell import ExperimentKind
from tts_interp.suites.erase_kind import ERASE_KINDS
from tts_interp.suites.grid import cell_id, expand_grid
from tts_interp.suites.stages import Artefact, artefact_of
from tts_interp.suites.talker_kinds import TALKER_KINDS

EXPERIMENT_KINDS: dict[str, ExperimentKind] = {**TALKER_KINDS, **ERASE_KINDS, **AUDIO_KINDS}
RESOURCE_KEYS = ("num_cpus", "num_gpus")
DEFAULT_RESOURCES = {"num_cpus": 1, "num_gpus": 0}
STAGE_RESOURCES = ("direction", "eraser", "scoring")  # resource entries that are not item kinds


def expand_entry(kind: str, entry: Mapping[str, Any], base: Path, scoring: Mapping[str, Any],
                 artefacts: Mapping[str, Mapping[str, Artefact]]) -> list[tuple[str, dict[str, Any]]]:
    """(id, spec) of every cell of one suite entry of an experiment kind; `artefacts`: the suite's stage entries
    by stage kind and name."""
    table = EXPERIMENT_KINDS[kind]
    out = []
    for cell in expand_grid(entry, table.fields, kind):
        config = table.check(cell, base)
        used = {role: artefact_of(artefacts, role, name) for role, name in table.inputs(config).items()}
        table.check_inputs(config, used)
        inputs = {role: artefact.identity() for role, artefact in used.items()}
        spec = {"config": config, "inputs": inputs}
        out.append((cell_id(kind, spec, scoring), spec))
    return out


def parse_resources(data: Any, kinds: tuple[str, ...]) -> dict[str, dict[str, float]]:
    """`resources:` (kind or stage -> {num_cpus, num_gpus}) with defaults for the rest."""
    valid = kinds + STAGE_RESOURCES
    data = data or {}
    if not isinstance(data, dict):
        raise BadInputError(f"'resources' must map an item kind to {{num_cpus, num_gpus}}, got {data!r}")
    out = {}
    for kind in valid:
        spec = data.get(kind) or {}
        if not isinstance(spec, dict):
            raise BadInputError(f"resources of {kind!r} must be a mapping with {', '.join(RESOURCE_KEYS)}")
        unknown = sorted(set(spec) - set(RESOURCE_KEYS))
        if unknown:
            raise BadInputError(f"resources of {kind!r}: unknown key(s) {unknown}; valid: {', '.join(RESOURCE_KEYS)}")
        values = {**DEFAULT_RESOURCES, **spec}
        for key, value in values.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise BadInputError(f"resources of {kind!r}: {key} must be a number >= 0, got {value!r}")
        out[kind] = {k: float(v) for k, v in values.items()}
    for kind in data:
        if kind not in valid:
            raise UnknownNameError("item kind in 'resources'", kind, valid)
    return out
