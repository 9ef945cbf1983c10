"""The mission's pieces on Kokoro: runs of voice sets read at sites, a direction between them, steering writes.

Voice sets come from `Model.voice_set` (names, or label filters such as `@en-us/female`). A direction is the difference of per-run mean activations of set A and set B, pooled over several texts
(each run = one voice speaking one text, all its rows averaged), stored in the engine's one direction format.
Steering adds alpha x (the site's mean row norm) along the unit direction, the engine's unit of alpha. The
style-vector baseline (arXiv 2402.12423) is the same edit at `style.timbre` and `style.prosody`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from tts_interp.interventions.directions.direction import Direction, compute_direction
from tts_interp.interventions.directions.file import provenance
from tts_interp.interventions.kokoro.session import write_run
from tts_interp.interventions.reading import collect_rows, prepare_runs
from tts_interp.interventions.session import Session
from tts_interp.interventions.steering.writes import direction_scale, site_writes
from tts_interp.models.kokoro.hook import KokoroRequest, KokoroSettings
from tts_interp.tracing.ops import Write
from tts_interp.tracing.selection import Selection
from tts_interp.tracing.sites import resolve_sites

STYLE_SITES = ("style.timbre", "style.prosody")


@dataclass
class Collected:
    """Per site, one mean row (1, H) per run, and the runs (voice, text index) in order."""

    rows: dict[str, list[torch.Tensor]]
    runs: list[tuple[str, int]]


def collect(session: Session, voices: Sequence[str], texts: Sequence[str], sites: Sequence[str],
            seed: int = 0, audio_dir: Path | None = None, advance: Callable[[int], None] | None = None) -> Collected:
    """Read `sites` over every voice x text (one chunk each) through the neutral reader (one pooled row per run).
    With `audio_dir`, each run is also written there (`{voice}-{k}/`), which gives the eval harness its clips."""
    names = [s.name for s in resolve_sites(session.adapter.sites(), list(sites))]
    runs = [(voice, k) for voice in voices for k in range(len(texts))]
    requests = [KokoroRequest(texts[k], voice) for voice, k in runs]
    written = iter(runs)

    def keep(run: Any) -> None:
        voice, k = next(written)
        write_run(Path(audio_dir) / f"{voice}-{k}", session, run, {"command": "collect"})

    prompts = prepare_runs(session, requests, Selection())
    rows = collect_rows(session, prompts, names, Selection(), advance=advance, settings=KokoroSettings(seed),
                        pool=True, on_run=keep if audio_dir is not None else None)
    return Collected(rows, runs)


def direction_between(session: Session, a: Collected, b: Collected, method: str = "mean_diff",
                      info: dict[str, Any] | None = None) -> Direction:
    """A direction per site from set A's runs vs set B's (mean_diff: mean(A) - mean(B), raw scale)."""
    found = compute_direction(a.rows, b.rows, method, session.model, info=info)
    found.weights = provenance(session.adapter.describe())
    return found


def steer_writes(direction: Direction, sites: Sequence[str], alpha: float) -> list[Write]:
    """alpha x the site's mean row norm along the unit direction, added at every row of each site (alpha's unit
    is the direction file's scale, as everywhere in the engine): the neutral `site_writes`."""
    return site_writes(direction, sites, alpha, "add", Selection(), direction_scale(direction, sites))
