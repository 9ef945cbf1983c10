"""The protocol every model family implements: one adapter class per family, with declared capabilities.

A family is one folder `models/<family>/` that holds everything model-specific; nothing outside it names the
family's modules. What a family adds (see the README's "Adding a model family"):

- `adapter.py`: the adapter class (below). Class attributes: `family` (the registry key), `capabilities`
  (a subset of CAPABILITIES), `clocks` (clock name -> targets function, for every `SiteSpec.clock` its sites use)
  and `phases` (run mode -> clock name -> rank: which clock's modules run first within one tick).
  Members: `load(model_id, device, dtype)` (classmethod: a built-in id, a local checkpoint directory or a hub
  id via `models.hub.resolve_checkpoint`), `model_id`, `sites()`, `describe()`, `sample_rate`.
- `tiny.py`: its tiny random built-ins, written once through `models.builtin_cache.cached_builtin`, and
  `builtin_descriptions()` (built-in id -> one line) for `tts-interp models`.
- `clocks.py` (unless it reuses one, as Grad-TTS and F5-TTS reuse `models/denoising/clocks.py`): how the calls of
  its modules map to frames / steps (`tracing.clock.Target`s).
- `runs.py` (or a shared one): its plain and traced runs, each `engine.run_named(call, adapter.sites(), shape,
  reads, writes)` with a `tracing.clock.RunShape` carrying the family's clocks and phases (site names and
  patterns are resolved, and the reads' store made and closed, by the engine).
- one row in `models/registry.py::FAMILIES` (id prefixes, config.json `model_type`s, "module:Class").

Capability groups and the members they need:
- `generate`: `prepare(request) -> prompt`, `generation_call(prompt, settings, on_frame) -> TracedCall`,
  `seed(seed)`, `decode(codes, prompt) -> waveform`, `check_codes(codes)` (autoregressive codes).
- `teacher_force`: `teacher_forcing_call(prompt, codes) -> TracedCall` (one pass over known outputs); with
  `run`, also `forced_run(engine, prompt, codes, reads=(), writes=(), store=None) -> run`.
- `denoise`: `prepare(request)`, `timesteps(settings)`, `sampling_call(prompt, settings) -> TracedCall`,
  `vocode(mel)` (a sampler loop that calls the denoiser once per step).
- `lens`: a vocabulary head that turns a residual into logits (Qwen3-TTS's codec head).
- `synthesize`: one non-autoregressive pass text -> audio (Kokoro): `prepare_chunks(text, voice, language, speed) ->
  [prompt per chunk]`, `synthesis_call(prompt, seed, durations, noise)`, `durations_call(prompt)`,
  `duration_sites()` (the sites that run before durations are known).
- `transcribe`: speech in, text out (Whisper): `features(clips) -> (input, real frames)`,
  `run_encoder(input, reads, edits)`, `greedy(hidden)`, `transcribe(clips, edits)`; its encoder sites are
  what `tts-interp features` reads and edits.
- `run`: the hook of the family-neutral experiments (reading rows, directions, steering, patching and their
  sweeps in `interventions/`), so they never name a family's modules:
  `prepare(request) -> prompt` (every prompt has `segments`, a `SegmentMap`, empty where it names none);
  `check_request(request)` (refuse, for an experiment, a condition the model would silently ignore);
  `run(engine, prompt, settings, reads=(), writes=(), store=None) -> run` (the family's plain run, seeded by
  `settings`: generation, sampling or synthesis; the run has `prompt`, `settings`, `store` and `writes`);
  `layer_kinds` (short name -> site kind, the first the default) and `layer_site(layer, kind) -> str` with
  `n_layers` (what `--layers 4,8` names in this family); `deterministic_settings(max_frames)` (the settings of
  a reproducible plain run when an experiment gives none: greedy decoding, or the default sampler at seed 0);
  `aligned_settings(settings, run)` (settings under which another prompt's run lines up row for row with `run`,
  for patching: a family that can force lengths (Kokoro's durations) does so; the others return `settings`);
  `write_run(out_dir, run, config, extra) -> dict` (the run's audio and result.json, as the family's generate
  writes them; `config`: the JSON of what was asked for, or None). Families that speak in a voice (suite cells)
  add static `request_of(text, voice_fields) -> request` and `settings_of(seed, greedy, max_frames) -> settings`.
Experiments call `require(adapter, "teacher_force")` (or `Session(model, needs=...)`) and get one line naming the
family and the missing capability instead of an AttributeError.
"""

from __future__ import annotations

from typing import Any, ClassVar, Protocol

from tts_interp.core.errors import BadInputError
from tts_interp.tracing.clock import ClockFn
from tts_interp.tracing.spec import SiteSpec

CAPABILITIES = ("generate", "teacher_force", "denoise", "lens", "synthesize", "transcribe", "run")


class ModelAdapter(Protocol):
    """What the engine and the family-neutral experiments need from every model family."""

    family: ClassVar[str]
    capabilities: ClassVar[frozenset[str]]
    clocks: ClassVar[dict[str, ClockFn]]
    phases: ClassVar[dict[str, dict[str, int]]]
    model_id: str

    def sites(self) -> dict[str, SiteSpec]:
        """Every named site of this model, by name."""
        ...

    def describe(self) -> dict[str, Any]:
        """A JSON-able description (family, variant, sizes, dtype, device, weights) for result files."""
        ...


def missing_capabilities(adapter: Any, needs: tuple[str, ...]) -> list[str]:
    """The capabilities among `needs` that an adapter (class or instance) does not declare."""
    unknown = [n for n in needs if n not in CAPABILITIES]
    if unknown:
        raise ValueError(f"unknown capabilities {unknown}; known: {CAPABILITIES}")
    return [n for n in needs if n not in adapter.capabilities]


def require(adapter: Any, *needs: str, model_id: str | None = None, able: str = "") -> None:
    """Refuse, in one line naming the family and the capability, an adapter (class or instance) lacking `needs`.

    `able` names the families that do have them (the registry knows; e.g. "Qwen3-TTS").
    """
    missing = missing_capabilities(adapter, needs)
    if missing:
        name = model_id or getattr(adapter, "model_id", adapter.family)
        where = f"; this command works on {able} models" if able else ""
        raise BadInputError(f"{name!r} is a {adapter.family} model{where} ({adapter.family} cannot "
                            f"{' or '.join(missing)}; it can: {', '.join(sorted(adapter.capabilities))})")
