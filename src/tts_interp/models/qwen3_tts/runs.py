"""Generation and teacher forcing of an autoregressive TTS adapter (Qwen3-TTS) with reads and writes.

Sites on the `prompt` clock (the speaker vector) are read and written on the prepared prompt before the call;
all other sites go through the nnsight engine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import torch

from tts_interp.models.qwen3_tts.clocks import run_shape
from tts_interp.models.qwen3_tts.prompt import PreparedPrompt
from tts_interp.models.qwen3_tts.settings import GenerationSettings, TeacherForced
from tts_interp.tracing.clock import Row
from tts_interp.tracing.engine import Engine, Read
from tts_interp.tracing.ops import Write
from tts_interp.tracing.selection import check_segments
from tts_interp.tracing.sites import resolve_site
from tts_interp.tracing.store import MemoryStore

if TYPE_CHECKING:  # runs are called by the adapter's run hook, so they do not import it
    from tts_interp.models.qwen3_tts.adapter import Qwen3TTSAdapter


@dataclass
class GenerationRun:
    """Codes of one generation, the prompt it used (after prompt-site writes), and what was read."""

    codes: torch.Tensor
    prompt: PreparedPrompt
    settings: GenerationSettings
    store: Any = None
    writes: list[Write] = field(default_factory=list)


@dataclass
class TeacherForcedRun:
    """Logits of one teacher-forced pass and what was read."""

    logits: TeacherForced
    prompt: PreparedPrompt
    codes: torch.Tensor
    store: Any = None


def _split(adapter: Qwen3TTSAdapter, prompt: PreparedPrompt, reads: Sequence[Read], writes: Sequence[Write]
           ) -> tuple[PreparedPrompt, list[Read], list[Write], list[Read]]:
    """Check segments; apply prompt-clock writes to the prompt; return the traced reads/writes (one per site)
    and the prompt-clock reads."""
    sites = adapter.sites()
    traced_reads, traced_writes, prompt_reads = [], [], []
    for read in reads:
        check_segments(read.selection, prompt.segments)
        for spec in resolve_site(sites, read.site):
            (prompt_reads if spec.clock == "prompt" else traced_reads).append(Read(spec.name, read.selection))
    for write in writes:
        check_segments(write.selection, prompt.segments)
        for spec in resolve_site(sites, write.site):
            if spec.clock == "prompt":
                assert prompt.speaker_vector is not None
                edited = write.apply(prompt.speaker_vector[None].float(), 0)[0]
                prompt = prompt.with_speaker_vector(edited)
            else:
                traced_writes.append(replace(write, site=spec.name))
    return prompt, traced_reads, traced_writes, prompt_reads


def _read_prompt_sites(prompt: PreparedPrompt, prompt_reads: list[Read], store: Any) -> None:
    for read in prompt_reads:
        assert prompt.speaker_vector is not None
        store.add(read.site, prompt.speaker_vector[None].float(), (Row(prompt.speaker_position, None, None),))


def generate(engine: Engine, adapter: Qwen3TTSAdapter, prompt: PreparedPrompt, settings: GenerationSettings,
             reads: Sequence[Read] = (), writes: Sequence[Write] = (), store: Any = None,
             on_frame: Callable[[], None] | None = None) -> GenerationRun:
    """Generate codes for `prompt` (seeded), applying writes and saving reads at their frames."""
    prompt, traced_reads, traced_writes, prompt_reads = _split(adapter, prompt, reads, writes)
    if prompt_reads and store is None:
        store = MemoryStore()
    _read_prompt_sites(prompt, prompt_reads, store)
    shape = run_shape("generate", prompt.length, settings.talker_steps, prompt.segments)
    call = adapter.generation_call(prompt, settings, on_frame)
    adapter.seed(settings.seed)
    codes, store = engine.run_named(call, adapter.sites(), shape, traced_reads, traced_writes, store)
    return GenerationRun(codes, prompt, settings, store, list(writes))


def teacher_force(engine: Engine, adapter: Qwen3TTSAdapter, prompt: PreparedPrompt, codes: torch.Tensor,
                  reads: Sequence[Read] = (), writes: Sequence[Write] = (), store: Any = None) -> TeacherForcedRun:
    """One deterministic pass over `prompt` + `codes`: per-frame logits, reads and writes at any site."""
    codes = adapter.check_codes(codes)
    prompt, traced_reads, traced_writes, prompt_reads = _split(adapter, prompt, reads, writes)
    if prompt_reads and store is None:
        store = MemoryStore()
    _read_prompt_sites(prompt, prompt_reads, store)
    shape = run_shape("teacher_force", prompt.length, int(codes.shape[0]), prompt.segments)
    call = adapter.teacher_forcing_call(prompt, codes)
    logits, store = engine.run_named(call, adapter.sites(), shape, traced_reads, traced_writes, store)
    return TeacherForcedRun(logits, prompt, codes, store)
