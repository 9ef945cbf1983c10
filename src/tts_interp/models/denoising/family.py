"""What every denoiser family's adapter declares alike: it can denoise, on the denoiser/conditioning clocks, and
it implements the `run` hook of the family-neutral experiments (models/base.py): a plain run is one sampling,
and its layers are the denoiser's sites in execution order (U-Net down levels, bottleneck, up levels; DiT blocks)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tts_interp.core.errors import BadInputError, OutOfRangeError, UnknownNameError
from tts_interp.models.denoising.clocks import CLOCKS, PHASES
from tts_interp.models.denoising.rundir import write_denoise_run
from tts_interp.models.denoising.runs import DenoiseRun, sample
from tts_interp.models.denoising.settings import DenoiseRequest, SamplerSettings
from tts_interp.tracing.engine import Engine, Read
from tts_interp.tracing.ops import Write


class DenoiserFamily:
    """Base of the Grad-TTS and F5-TTS adapters: capabilities, clocks, phases and the run hook."""

    capabilities = frozenset({"denoise", "run"})
    clocks = CLOCKS
    phases = PHASES
    layer_kinds = {"out": "out"}
    pool_runs = False  # a direction's samples are the selected rows of every run
    request_type = DenoiseRequest
    selection_fields = ("t_range",)  # what a Read's or Write's Selection may set here
    settings_type = SamplerSettings

    def run_audio(self: Any, run: DenoiseRun) -> Any:
        """The sampled mel, vocoded (with the run's gain)."""
        return self.vocode(run.sampled.mel) * run.sampled.audio_gain

    @staticmethod
    def request_of(text: str, voice: dict[str, Any]) -> DenoiseRequest:
        """A request from text and voice fields: `speaker` is a speaker index (multi-speaker Grad-TTS), or
        `ref_audio` + `ref_text` a reference clip (F5-TTS); `language` auto only."""
        unused = sorted(k for k, v in voice.items() if v and k not in ("speaker", "ref_audio", "ref_text", "language"))
        if unused or voice.get("language") not in (None, "", "auto"):
            named = ", ".join(unused or [f"language {voice['language']!r}"])
            raise BadInputError(f"denoiser models take a speaker index or a reference clip; they have no {named}")
        speaker = voice.get("speaker")
        if speaker is not None and not str(speaker).isdigit():
            raise BadInputError(f"a denoiser's speaker is an index (0, 1, ...), not {speaker!r}")
        ref_audio = voice.get("ref_audio")
        return DenoiseRequest(text, None if speaker is None else int(speaker),
                              None if ref_audio is None else str(ref_audio), voice.get("ref_text"))

    @staticmethod
    def settings_of(seed: int, greedy: bool, max_frames: int) -> SamplerSettings:
        """The default sampler at `seed` (a sampler has no greedy decoding and no frame budget)."""
        return SamplerSettings(seed=seed)

    def check_request(self, request: Any) -> None:
        """Nothing to refuse: what a denoiser ignores (a speaker of a one-speaker model) is in the run's notes."""

    def run(self: Any, engine: Engine, prompt: Any, settings: SamplerSettings, reads: Sequence[Read] = (),
            writes: Sequence[Write] = (), store: Any = None) -> DenoiseRun:
        """One sampling of `prompt` with `settings` (seeded), with reads and writes."""
        return sample(engine, self, prompt, settings, reads=reads, writes=writes, store=store)

    def deterministic_settings(self, max_frames: int) -> SamplerSettings:
        """The default sampler at seed 0 (a denoiser's length comes from its text, not `max_frames`)."""
        return SamplerSettings()

    def aligned_settings(self, settings: SamplerSettings, run: DenoiseRun) -> SamplerSettings:
        """The same settings: a sampler's length follows the text (and durations the model predicts from it)."""
        return settings

    def layer_sites(self: Any) -> list[str]:
        """The denoiser's sites in execution order, one per module (an alias such as F5's h-space is left out)."""
        specs = sorted((s for s in self.sites().values() if s.clock == "denoiser"), key=lambda s: s.order)
        first: dict[str, str] = {}
        for spec in specs:
            first.setdefault(spec.module_path, spec.name)
        return list(first.values())

    @property
    def patch_sites(self: Any) -> list[str]:
        """The sites `patch` swaps between two runs by default: every denoiser layer."""
        return self.layer_sites()

    @property
    def n_layers(self) -> int:
        return len(self.layer_sites())

    def layer_site(self, layer: int, kind: str = "out") -> str:
        if kind != "out":
            raise UnknownNameError("denoiser site kind", kind, list(self.layer_kinds))
        names = self.layer_sites()
        if not 0 <= layer < len(names):
            raise OutOfRangeError("denoiser layer", layer, f"0..{len(names) - 1}")
        return names[layer]

    def write_run(self, out_dir: Path, run: DenoiseRun, config: dict[str, Any] | None,
                  extra: dict[str, Any] | None = None) -> dict[str, Any]:
        """audio.wav, mel.npy and result.json, as `tts-interp hspace edit` writes them."""
        return write_denoise_run(out_dir, self, run, config, extra or {})
