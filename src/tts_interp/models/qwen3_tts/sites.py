"""The named sites of Qwen3-TTS: every talker and code-predictor layer (residual, attention, MLP), the final
norms, and the speaker vector; and the helpers that spell a layer's site name."""

from __future__ import annotations

from tts_interp.tracing.spec import SiteSpec

# A talker layer's site kinds by short name: the residual stream after the layer, and the attention and MLP block
# outputs before the residual add.
LAYER_KINDS = {"resid": "resid_out", "attn": "attn_out", "mlp": "mlp_out"}


def talker_site(layer: int, kind: str = "resid_out") -> str:
    """The name of a talker layer's site, e.g. `talker.layer.3.resid_out`."""
    return f"talker.layer.{layer}.{kind}"


def code_predictor_site(layer: int) -> str:
    """The name of a code-predictor layer's residual site."""
    return f"code_predictor.layer.{layer}.resid_out"


def site_table(hidden: int, n_layers: int, cp_hidden: int, n_cp_layers: int, speaker_vector: bool
               ) -> dict[str, SiteSpec]:
    """Every site by name; `speaker_vector` for the variants with a speaker input (Base, CustomVoice)."""
    sites: dict[str, SiteSpec] = {}
    for prefix, path, clock, layers, dim in (
        ("talker", "model", "talker", n_layers, hidden),
        ("code_predictor", "code_predictor.model", "code_predictor", n_cp_layers, cp_hidden),
    ):
        for i in range(layers):
            parts = (("attn_out", f"{path}.layers.{i}.self_attn", 0, "attention block output (before the residual add)"),
                     ("mlp_out", f"{path}.layers.{i}.mlp", None, "MLP output (before the residual add)"),
                     ("resid_out", f"{path}.layers.{i}", 0, "residual stream after the layer"))
            for k, (kind, module, index, text) in enumerate(parts):
                name = f"{prefix}.layer.{i}.{kind}"
                sites[name] = SiteSpec(name, module, clock, 3 * i + k, dim, index, text)
        name = f"{prefix}.final_norm"
        sites[name] = SiteSpec(name, f"{path}.norm", clock, 3 * layers, dim, None,
                               "final RMSNorm output (what the codec head reads)")
    if speaker_vector:
        sites["speaker_embedding"] = SiteSpec(
            "speaker_embedding", "", "prompt", 0, hidden, None,
            "the speaker vector at the prompt's speaker position (x-vector for Base, a codec_embedding row "
            "for CustomVoice)")
    return sites
