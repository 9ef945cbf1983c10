"""The HiFi-GAN vocoder stage of Grad-TTS: upstream's `Generator`, loaded from the official checkpoint format.

A vocoder directory holds `config.json` (HiFi-GAN's own config file) and a weights file holding
`{"generator": state_dict}` (as the released `generator_v1` / `hifigan_univ_v1`).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch

from tts_interp.core.errors import TTSInterpError
from tts_interp.models.gradtts.upstream import import_grad_tts


class HiFiGANVocoder:
    """Mel (80, T) at 22.05 kHz / hop 256 -> waveform, through upstream's HiFi-GAN generator."""

    def __init__(self, generator: torch.nn.Module, sample_rate: int):
        self.generator = generator.eval()
        self.sample_rate = sample_rate

    @classmethod
    def load(cls, config_path: Path, weights_path: Path, device: torch.device) -> HiFiGANVocoder:
        import_grad_tts()
        import json

        from grad_tts.model.hifi_gan.models import Generator

        for path in (config_path, weights_path):
            if not path.is_file():
                raise TTSInterpError(f"HiFi-GAN vocoder file {path} is missing (a vocoder directory needs config.json "
                                     "and the generator weights saved as {'generator': state_dict})")
        with warnings.catch_warnings():  # upstream builds with the deprecated torch.nn.utils.weight_norm
            warnings.simplefilter("ignore", FutureWarning)
            generator = Generator(config_path=str(config_path))
        state = torch.load(str(weights_path), map_location="cpu", weights_only=True)
        try:
            generator.load_state_dict(state["generator"] if "generator" in state else state)
        except RuntimeError as exc:
            raise TTSInterpError(f"HiFi-GAN weights {weights_path} do not fit the generator described by {config_path}: "
                                 f"{str(exc).splitlines()[0]}") from None
        sample_rate = int(json.loads(config_path.read_text()).get("sampling_rate", 22050))
        return cls(generator.to(device), sample_rate)

    @torch.no_grad()
    def __call__(self, mel: torch.Tensor) -> np.ndarray:
        device = next(self.generator.parameters()).device
        audio = self.generator(mel.to(device, torch.float32)[None]).clamp(-1, 1)
        return audio.reshape(-1).cpu().numpy().astype(np.float32)
