"""Patching between two runs of any family with the `run` hook: the source run's activations at chosen sites
replace the target run's, row for row, one cell per site and one with every site at once.

Both runs use the same settings (so the same seed and noise), the target's aligned to the source's run where the
family can force lengths (`aligned_settings`, e.g. Kokoro's durations); a site's rows line up only when both runs
have as many of them, which is checked before any patched run. The teacher-forced, aligned talker
patching with recovery metrics is Qwen3-TTS's own (patch.py, sweep.py); this is what every family shares.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tts_interp.core.errors import BadInputError
from tts_interp.interventions.session import Session
from tts_interp.models.base import require
from tts_interp.tracing.engine import Read
from tts_interp.tracing.ops import Write
from tts_interp.tracing.selection import Selection
from tts_interp.tracing.sites import resolve_sites

ALL_SITES = "all"


def replace_writes(store: Any, sites: Sequence[str], selection: Selection | None = None) -> list[Write]:
    """`replace` writes putting a run's rows read at `sites` (on `selection`) back at the same rows of another."""
    selection = selection or Selection()
    return [Write(site, "replace", store.get(site).values, selection) for site in sites]


@dataclass
class PatchedRuns:
    """The source run, the plain target run, and the target patched per site (and at every site: `all`)."""

    source: Any
    target: Any
    sites: list[str]
    cells: dict[str, Any] = field(default_factory=dict)


def patch_between(session: Session, source: Any, target: Any, settings: Any, sites: Sequence[str],
                  selection: Selection | None = None) -> PatchedRuns:
    """Run prepared prompts `source` and `target` plainly (reading `sites`), then the target with the source's rows
    patched in, site by site and all at once."""
    adapter = session.adapter
    require(adapter, "run")
    selection = selection or Selection()
    names = [spec.name for spec in resolve_sites(adapter.sites(), list(sites))]
    reads = [Read(name, selection) for name in names]
    source_run = adapter.run(session.engine, source, settings, reads=reads)
    settings = adapter.aligned_settings(settings, source_run)
    target_run = adapter.run(session.engine, target, settings, reads=reads)
    for name in names:
        have, want = (int(r.store.get(name).values.shape[0]) for r in (source_run, target_run))
        if have != want:
            raise BadInputError(f"the source run has {have} rows at {name} and the target run {want}: patching "
                                "replaces rows one for one, so both runs need the same length there")
    patched = PatchedRuns(source_run, target_run, names)
    for cell in [*names, ALL_SITES]:
        chosen = names if cell == ALL_SITES else [cell]
        writes = replace_writes(source_run.store, chosen, selection)
        patched.cells[cell] = adapter.run(session.engine, target, settings, writes=writes)
    return patched
