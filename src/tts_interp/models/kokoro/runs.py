"""Running Kokoro with reads and writes at phoneme-position, frame and style sites.

A frame site selected by frames, words or token positions needs the run's durations before the trace (to
map them onto rows): they are predicted first by the text side alone, with the run's text-side writes applied,
and then forced in the full pass so both agree. Long text runs chunk by chunk (each a forward, chunk k with
seed + k); reads and selections need a single chunk, since their rows are labelled within one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from tts_interp.core.errors import BadInputError
from tts_interp.models.kokoro.clocks import clocks_for
from tts_interp.tracing.clock import RunShape
from tts_interp.tracing.engine import Engine, Read
from tts_interp.tracing.ops import Write
from tts_interp.tracing.selection import check_segments
from tts_interp.tracing.sites import resolve_site
from tts_interp.tracing.store import MemoryStore

MODE = "forward"


@dataclass
class ForwardRun:
    """The audio of every chunk joined, each chunk's durations, and what was read."""

    audio: torch.Tensor
    durations: list[torch.Tensor]
    prompts: list[Any]
    seed: int
    store: Any = None
    writes: list[Write] = field(default_factory=list)
    prompt: Any = None  # the `run` hook's prompt and settings (models/kokoro/hook.py), when run through it
    settings: Any = None


def _shape(adapter: Any, prompt: Any, durations: Sequence[int] = ()) -> RunShape:
    names = sorted({spec.clock for spec in adapter.sites().values()})
    return RunShape(MODE, prompt.length, sum(durations), prompt.segments,
                    clocks=clocks_for(names, durations), phases=adapter.phases[MODE])


def _needs_durations(adapter: Any, items: Sequence[Read | Write]) -> bool:
    sites = adapter.sites()
    return any(spec.clock.startswith("frames") and not item.selection.everything
               for item in items for spec in resolve_site(sites, item.site))


def run_chunk(engine: Engine, adapter: Any, prompt: Any, seed: int, reads: Sequence[Read] = (),
              writes: Sequence[Write] = (), store: Any = None, durations: torch.Tensor | None = None,
              noise: bool = True) -> Any:
    """One forward of one chunk with reads and writes; returns the adapter's result (audio, durations)."""
    for item in [*reads, *writes]:
        check_segments(item.selection, prompt.segments)
    if durations is None and _needs_durations(adapter, [*reads, *writes]):
        early = adapter.duration_sites()
        text_writes = [w for w in writes if all(s.name in early for s in resolve_site(adapter.sites(), w.site))]
        durations, _ = engine.run_named(adapter.durations_call(prompt), adapter.sites(), _shape(adapter, prompt),
                                        [], text_writes, None)
    known = tuple(int(d) for d in durations) if durations is not None else ()
    result, _ = engine.run_named(adapter.synthesis_call(prompt, seed, durations, noise), adapter.sites(),
                                 _shape(adapter, prompt, known), reads, writes, store)
    return result


def synthesize(engine: Engine, adapter: Any, prompts: Sequence[Any], seed: int, reads: Sequence[Read] = (),
               writes: Sequence[Write] = (), store: Any = None, durations: Sequence[torch.Tensor] | None = None,
               noise: bool = True) -> ForwardRun:
    """Every chunk of a text, seeded, with the same writes; reads and selections need one chunk."""
    if len(prompts) > 1 and (reads or any(not w.selection.everything for w in writes)):
        raise BadInputError(f"the text splits into {len(prompts)} chunks of at most 510 phoneme tokens; reads and "
                            "position/frame/word selections need one chunk: give a shorter text")
    if durations is not None and len(durations) != len(prompts):
        raise BadInputError(f"{len(durations)} duration tracks given for {len(prompts)} chunks")
    if reads and store is None:
        store = MemoryStore()
    audio, tracks = [], []
    for k, prompt in enumerate(prompts):
        result = run_chunk(engine, adapter, prompt, seed + k, reads, writes, store,
                           None if durations is None else durations[k], noise)
        audio.append(result.audio)
        tracks.append(result.durations)
    if store is not None:
        store.close()
    return ForwardRun(torch.cat(audio), tracks, list(prompts), seed, store, list(writes))
