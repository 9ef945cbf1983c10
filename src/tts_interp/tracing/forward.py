"""Running a one-pass TTS (Kokoro) with reads and writes at phoneme-position, frame and style sites.

A frame site selected by frames, words or token positions needs the run's durations before the trace (to
map them onto rows): they are predicted first by the text side alone, with the run's text-side writes applied,
and then forced in the full pass so both agree. Long text runs chunk by chunk (each a forward); reads and
selections need a single chunk, since their rows are labelled within one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import torch

from tts_interp.core.errors import BadInputError
from tts_interp.models.base import SiteSpec, TracedCall
from tts_interp.tracing.clock import RunShape
from tts_interp.tracing.engine import Engine, Read
from tts_interp.tracing.ops import Write
from tts_interp.tracing.selection import Selection, check_segments
from tts_interp.tracing.sites import resolve_site
from tts_interp.tracing.store import MemoryStore


class ForwardAdapter(Protocol):
    """What `synthesize` needs from a one-pass adapter."""

    def sites(self) -> dict[str, SiteSpec]: ...

    def duration_sites(self) -> set[str]: ...

    def synthesis_call(self, prompt: Any, seed: int, durations: torch.Tensor | None = None,
                       noise: bool = True) -> TracedCall: ...

    def durations_call(self, prompt: Any) -> TracedCall: ...


@dataclass
class ForwardRun:
    """The audio of every chunk joined, each chunk's durations, and what was read."""

    audio: torch.Tensor
    durations: list[torch.Tensor]
    prompts: list[Any]
    seed: int
    store: Any = None
    writes: list[Write] = field(default_factory=list)


def _resolve(adapter: ForwardAdapter, prompt: Any, reads: Sequence[Read], writes: Sequence[Write]
             ) -> tuple[list[tuple[SiteSpec, Selection]], list[tuple[SiteSpec, Write]]]:
    sites = adapter.sites()
    for item in [*reads, *writes]:
        check_segments(item.selection, prompt.segments)
    return ([(spec, r.selection) for r in reads for spec in resolve_site(sites, r.site)],
            [(spec, w) for w in writes for spec in resolve_site(sites, w.site)])


def _needs_durations(items: list[tuple[SiteSpec, Any]]) -> bool:
    return any(spec.clock.startswith("frames") and not (sel if isinstance(sel, Selection) else sel.selection).everything
               for spec, sel in items)


def run_chunk(engine: Engine, adapter: ForwardAdapter, prompt: Any, seed: int, reads: Sequence[Read] = (),
              writes: Sequence[Write] = (), store: Any = None, durations: torch.Tensor | None = None,
              noise: bool = True) -> Any:
    """One forward of one chunk with reads and writes; returns the adapter's result (audio, durations)."""
    traced_reads, traced_writes = _resolve(adapter, prompt, reads, writes)
    if durations is None and _needs_durations(traced_reads + traced_writes):
        early = adapter.duration_sites()
        text_writes = [(spec, w) for spec, w in traced_writes if spec.name in early]
        shape = RunShape("forward", prompt.length, 0, prompt.segments)
        durations = engine.run(adapter.durations_call(prompt), adapter.sites(), shape, [], text_writes, None)
    known = tuple(int(d) for d in durations) if durations is not None else ()
    shape = RunShape("forward", prompt.length, sum(known), prompt.segments, durations=known)
    return engine.run(adapter.synthesis_call(prompt, seed, durations, noise), adapter.sites(), shape,
                      traced_reads, traced_writes, store)


def synthesize(engine: Engine, adapter: ForwardAdapter, prompts: Sequence[Any], seed: int,
               reads: Sequence[Read] = (), writes: Sequence[Write] = (), store: Any = None,
               durations: Sequence[torch.Tensor] | None = None, noise: bool = True) -> ForwardRun:
    """Every chunk of a text, seeded (chunk k uses seed + k), with the same writes; reads need one chunk."""
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
