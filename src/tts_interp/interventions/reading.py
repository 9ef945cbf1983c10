"""Reading activations of many runs: every selected row of the chosen sites, per run (for directions, probes).

Rows are read teacher-forced on given codes (deterministic) or during greedy generation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from tts_interp.interventions.session import Session
from tts_interp.interventions.talker.prompts import prepare_checked
from tts_interp.models.qwen3_tts.prompt import PreparedPrompt, PromptRequest
from tts_interp.models.qwen3_tts.runs import generate, teacher_force
from tts_interp.models.qwen3_tts.settings import GenerationSettings
from tts_interp.tracing.engine import Read
from tts_interp.tracing.selection import Selection, check_segments


def prepare_runs(session: Session, requests: Sequence[PromptRequest], selection: Selection
                 ) -> list[PreparedPrompt]:
    """Prepare every prompt of a set and check the selection's segment names against each (before any run)."""
    prompts = [prepare_checked(session.adapter, request) for request in requests]
    for prompt in prompts:
        check_segments(selection, prompt.segments)
    return prompts


def collect_rows(session: Session, prompts: Sequence[PreparedPrompt], sites: Sequence[str], selection: Selection,
                 codes: torch.Tensor | None = None, max_new_tokens: int = 50,
                 advance: Callable[[int], None] | None = None) -> dict[str, list[torch.Tensor]]:
    """Per site, one (rows, H) tensor per run: teacher-forced on `codes` if given, else read during greedy
    generation."""
    adapter = session.adapter
    reads = [Read(site, selection) for site in sites]
    per_site: dict[str, list[torch.Tensor]] = {site: [] for site in sites}
    for prompt in prompts:
        if codes is not None:
            store = teacher_force(session.engine, adapter, prompt, codes, reads=reads).store
        else:
            settings = GenerationSettings(max_new_tokens=max_new_tokens, greedy=True)
            store = generate(session.engine, adapter, prompt, settings, reads=reads).store
        for site in sites:
            per_site[site].append(store.get(site).values.float() if site in store.sites()
                                  else torch.zeros(0, adapter.sites()[site].dim))
        if advance:
            advance(1)
    return per_site
