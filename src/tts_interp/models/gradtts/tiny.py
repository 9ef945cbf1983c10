"""Seeded random-weight Grad-TTS checkpoints written as real checkpoint directories (official key layout).

A built-in is written once into the cache as `config.json` + `grad-tts.pt` (a plain state dict, as the
released checkpoints are) + `hifigan/` (HiFi-GAN's config.json and `{"generator": state_dict}`), then loaded
through the same loader as real weights. The audio is noise: these prove the machinery, never a finding.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from tts_interp.models.builtin_cache import cached_builtin
from tts_interp.models.gradtts.model import GradTTSConfig, GradTTSNetwork
from tts_interp.models.gradtts.upstream import import_grad_tts

BUILTIN_PREFIX = "tiny-grad-tts"
BUILD_FORMAT = 3  # bump when the recipe changes, so cached built-ins are rebuilt
WEIGHTS = "grad-tts.pt"

TINY = GradTTSConfig(n_enc_channels=32, filter_channels=64, filter_channels_dp=32, n_enc_layers=2, dec_dim=16,
                     spk_emb_dim=16)
BUILTINS: dict[str, tuple[str, GradTTSConfig]] = {
    BUILTIN_PREFIX: ("tiny random Grad-TTS, single speaker (LJSpeech layout)", TINY),
    f"{BUILTIN_PREFIX}-multispeaker": ("tiny random Grad-TTS, 8 speakers (LibriTTS layout)", replace(TINY, n_spks=8)),
    f"{BUILTIN_PREFIX}-bench": ("random Grad-TTS at the official LJSpeech size (14.8M), for benchmarks",
                                GradTTSConfig()),
}


def hifigan_config(initial_channels: int) -> dict[str, Any]:
    """A HiFi-GAN V1-style config (22.05 kHz, hop 256 = 8*8*2*2) with `initial_channels` channels."""
    return {"resblock": "1", "upsample_rates": [8, 8, 2, 2], "upsample_kernel_sizes": [16, 16, 4, 4],
            "upsample_initial_channel": initial_channels, "resblock_kernel_sizes": [3, 7, 11],
            "resblock_dilation_sizes": [[1, 3, 5], [1, 3, 5], [1, 3, 5]], "num_mels": 80, "n_fft": 1024,
            "hop_size": 256, "win_size": 1024, "sampling_rate": 22050, "fmin": 0, "fmax": 8000}


def write_checkpoint(out_dir: Path, config: GradTTSConfig, state_dict: dict[str, torch.Tensor],
                     vocoder_config: dict[str, Any], vocoder_state: dict[str, torch.Tensor],
                     extra: dict[str, Any] | None = None) -> Path:
    """Write a Grad-TTS checkpoint directory: config.json, grad-tts.pt, hifigan/{config.json,generator.pt}."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    payload = {"model_type": "grad-tts", **config.to_json(), "weights": WEIGHTS,
               "vocoder": {"config": "hifigan/config.json", "weights": "hifigan/generator.pt"}, **(extra or {})}
    (out_dir / "config.json").write_text(json.dumps(payload, indent=2))
    torch.save(state_dict, out_dir / WEIGHTS)
    (out_dir / "hifigan").mkdir(exist_ok=True)
    (out_dir / "hifigan" / "config.json").write_text(json.dumps(vocoder_config, indent=2))
    torch.save({"generator": vocoder_state}, out_dir / "hifigan" / "generator.pt")
    return out_dir


def build_checkpoint(model_id: str, directory: Path, seed: int = 0) -> dict[str, Any]:
    """Write the seeded built-in `model_id` into `directory`; return what the built-in stamp records."""
    import_grad_tts()
    from grad_tts.model.hifi_gan.models import Generator

    _, config = BUILTINS[model_id]
    torch.manual_seed(seed)
    network = GradTTSNetwork(config)
    with torch.no_grad():
        for name, param in network.named_parameters():
            if name.endswith(".g"):  # upstream's Rezero gates start at 0, switching every attention block off
                param.fill_(0.02)
        # a random score of order 1 makes 10 reverse steps blow up past float range; keep it small
        network.decoder.estimator.final_conv.weight.mul_(0.01)
    staging = Path(directory)
    vocoder_config = hifigan_config(32 if config.dec_dim < 64 else 128)
    (staging / "hifigan").mkdir()
    (staging / "hifigan" / "config.json").write_text(json.dumps(vocoder_config))
    with warnings.catch_warnings():  # upstream builds with the deprecated torch.nn.utils.weight_norm
        warnings.simplefilter("ignore", FutureWarning)
        generator = Generator(config_path=str(staging / "hifigan" / "config.json"))
    write_checkpoint(staging, config, network.state_dict(), vocoder_config, generator.state_dict())
    return {"id": model_id, "seed": seed}


def builtin_checkpoint(model_id: str) -> Path:
    """The directory of a built-in Grad-TTS checkpoint, built into the cache on first use."""
    return cached_builtin(model_id, BUILD_FORMAT, lambda directory: build_checkpoint(model_id, directory))


def builtin_descriptions() -> dict[str, str]:
    """Built-in id -> one line, for `tts-interp models`."""
    return {model_id: text for model_id, (text, _) in BUILTINS.items()}
