"""Reading activations of many runs: every selected row of the chosen sites, per run (for directions, probes).

Rows are read through the family's `run` hook (models/base.py): teacher-forced on given codes (deterministic;
families that can teacher-force) or during a plain run with the given (or the family's deterministic) settings.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import torch

from tts_interp.interventions.running import prepare_checked
from tts_interp.interventions.session import Session
from tts_interp.models.base import require
from tts_interp.tracing.engine import Read
from tts_interp.tracing.selection import Selection, check_segments


def prepare_runs(session: Session, requests: Sequence[Any], selection: Selection) -> list[Any]:
    """Prepare every prompt of a set and check the selection's segment names against each (before any run)."""
    prompts = [prepare_checked(session.adapter, request) for request in requests]
    for prompt in prompts:
        check_segments(selection, prompt.segments)
    return prompts


def collect_rows(session: Session, prompts: Sequence[Any], sites: Sequence[str], selection: Selection,
                 codes: torch.Tensor | None = None, max_new_tokens: int = 50,
                 advance: Callable[[int], None] | None = None, settings: Any = None, pool: bool = False,
                 on_run: Callable[[Any], None] | None = None) -> dict[str, list[torch.Tensor]]:
    """Per site, one (rows, H) tensor per run: teacher-forced on `codes` if given, else read during a plain run
    with `settings` (default: the family's deterministic settings, e.g. greedy decoding of `max_new_tokens`).
    With `pool`, each run gives one row, the mean of its rows (runs, not rows, are then the samples). `on_run`
    gets each run as it finishes (e.g. to write its audio)."""
    adapter = session.adapter
    require(adapter, "run", *(("teacher_force",) if codes is not None else ()))
    settings = settings if settings is not None else adapter.deterministic_settings(max_new_tokens)
    reads = [Read(site, selection) for site in sites]
    per_site: dict[str, list[torch.Tensor]] = {site: [] for site in sites}
    for prompt in prompts:
        if codes is not None:
            run = adapter.forced_run(session.engine, prompt, codes, reads=reads)
        else:
            run = adapter.run(session.engine, prompt, settings, reads=reads)
        store = run.store
        for site in sites:
            rows = store.get(site).values.float() if site in store.sites() else torch.zeros(0, adapter.sites()[site].dim)
            per_site[site].append(rows.mean(0, keepdim=True) if pool and rows.shape[0] else rows)
        if on_run:
            on_run(run)
        if advance:
            advance(1)
    return per_site


def rows_from(adapter: Any, codes: torch.Tensor | None, max_new_tokens: int, settings: Any = None) -> str:
    """How `collect_rows` read its rows, in words, for result files: teacher forcing, or plain runs with the
    settings it used (the family's deterministic ones unless given)."""
    if codes is not None:
        return "teacher-forced on given codes"
    used = settings if settings is not None else adapter.deterministic_settings(max_new_tokens)
    return f"plain runs with settings {json.dumps(used.to_json(), sort_keys=True)}"
