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
from tts_interp.tracing.spec import SegmentMap, SiteSpec, TracedCall


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
    sampled, store = engine.run_named(adapter.sampling_call(prompt, settings), adapter.sites(),
                                      run_shape(adapter, settings), reads, writes, store)
    return DenoiseRun(sampled, prompt, settings, store, list(writes))
