"""What every denoiser family's adapter declares alike: it can denoise, on the denoiser/conditioning clocks."""

from __future__ import annotations

from tts_interp.models.denoising.clocks import CLOCKS, PHASES


class DenoiserFamily:
    """Base of the Grad-TTS and F5-TTS adapters: capabilities, clocks and phases (see models/base.py)."""

    capabilities = frozenset({"denoise"})
    clocks = CLOCKS
    phases = PHASES
