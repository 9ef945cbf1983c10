"""Whisper's named sites and its two clocks: encoder frames (20 ms) and decoder token steps.

The encoder sees a 30 s window of log-mel frames (10 ms) and its conv stem halves the rate: encoder frame f
covers audio from 20*f ms to 20*(f+1) ms. Frames past a clip's end are the window's padding: `valid_frames`
counts the real ones, and every statistic uses only those.
"""

from __future__ import annotations

import math

from tts_interp.tracing.spec import SiteSpec

FRAME_SECONDS = 0.02
ENCODER_CLOCK = "encoder_frame"
DECODER_CLOCK = "decoder_token"
# kind -> (module path under the layer, output index, order inside the layer, uses the ffn width)
LAYER_KINDS = {
    "attn_out": ("self_attn", 0, 0, False),
    "mlp.act": ("activation_fn", None, 1, True),
    "mlp_out": ("fc2", None, 2, False),
    "resid_out": ("", 0, 3, False),
}
DESCRIPTIONS = {"attn_out": "self-attention output (before the residual add)",
                "mlp.act": "MLP neurons after GELU", "mlp_out": "MLP output (before the residual add)",
                "resid_out": "residual stream after the layer"}


def whisper_sites(encoder_layers: int, decoder_layers: int, d_model: int, ffn_dim: int) -> dict[str, SiteSpec]:
    """Every site: `encoder.layer.{i}.{kind}`, `encoder.out`, `decoder.layer.{i}.{kind}`, `decoder.out`.

    Module paths are relative to `WhisperForConditionalGeneration.model` (the encoder-decoder core).
    """
    sites: dict[str, SiteSpec] = {}
    for side, count, clock in (("encoder", encoder_layers, ENCODER_CLOCK), ("decoder", decoder_layers, DECODER_CLOCK)):
        for i in range(count):
            for kind, (sub, index, order, wide) in LAYER_KINDS.items():
                path = f"{side}.layers.{i}" + (f".{sub}" if sub else "")
                name = f"{side}.layer.{i}.{kind}"
                sites[name] = SiteSpec(name, path, clock, order=4 * i + order, dim=ffn_dim if wide else d_model,
                                       output_index=index, description=f"{side} layer {i}: {DESCRIPTIONS[kind]}")
        sites[f"{side}.out"] = SiteSpec(f"{side}.out", f"{side}.layer_norm", clock, order=4 * count, dim=d_model,
                                        description=f"{side} output after the final layer norm")
    return sites


def valid_frames(n_samples: int, sample_rate: int, window_frames: int) -> int:
    """Encoder frames that hold audio (the rest of the 30 s window is padding)."""
    return min(window_frames, math.ceil(n_samples / sample_rate / FRAME_SECONDS))
