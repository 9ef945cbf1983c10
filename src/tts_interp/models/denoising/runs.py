"""Sampling a diffusion / flow-matching TTS adapter (Grad-TTS, F5-TTS) with reads and writes at its sites.

The adapter's sampler calls the denoiser once per solver step; the `denoiser` clock maps step n to occurrence
n of every denoiser module, labelled with its time t, and the `conditioning` clock covers the text encoder
and speaker embedding, which run once before step 0. Everything goes through the one nnsight engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from tts_interp.models.denoising.clocks import CLOCKS, PHASES
from tts_interp.models.denoising.settings import Sampled, SamplerSettings
from tts_interp.tracing.clock import RunShape
from tts_interp.tracing.engine import Engine, Read
from tts_interp.tracing.ops import Write
from tts_interp.tracing.selection import Selection
from tts_interp.tracing.sites import resolve_site
from tts_interp.tracing.spec import SegmentMap, SiteSpec, TracedCall
from tts_interp.tracing.store import MemoryStore


class DenoiserAdapter(Protocol):
    """What `sample` needs from a denoiser adapter."""

    def sites(self) -> dict[str, SiteSpec]: ...

    def timesteps(self, settings: SamplerSettings) -> tuple[float, ...]: ...

    def sampling_call(self, prompt: Any, settings: SamplerSettings) -> TracedCall: ...


@dataclass
class DenoiseRun:
    """One sampling run: the mel, the trajectory, the settings, what was read and the writes applied."""

    sampled: Sampled
    prompt: Any
    settings: SamplerSettings
    store: Any = None
    writes: list[Write] = field(default_factory=list)


def run_shape(adapter: DenoiserAdapter, settings: SamplerSettings) -> RunShape:
    """The clock's view of a sampling run: its step times."""
    return RunShape("denoise", 0, 0, SegmentMap(()), adapter.timesteps(settings), CLOCKS, PHASES["denoise"])


def sample(engine: Engine, adapter: DenoiserAdapter, prompt: Any, settings: SamplerSettings,
           reads: Sequence[Read] = (), writes: Sequence[Write] = (), store: Any = None) -> DenoiseRun:
    """Sample a mel for `prompt` (seeded), applying writes and saving reads at their steps."""
    sites = adapter.sites()
    traced_reads: list[tuple[SiteSpec, Selection]] = [(spec, read.selection) for read in reads
                                                       for spec in resolve_site(sites, read.site)]
    traced_writes = [(spec, write) for write in writes for spec in resolve_site(sites, write.site)]
    if traced_reads and store is None:
        store = MemoryStore()
    sampled = engine.run(adapter.sampling_call(prompt, settings), sites, run_shape(adapter, settings),
                         traced_reads, traced_writes, store)
    if store is not None:
        store.close()
    return DenoiseRun(sampled, prompt, settings, store, list(writes))
