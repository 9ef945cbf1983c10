"""Adapter for Kyutai's Mimi codec through transformers' `MimiModel` (2048-entry codebooks, 12.5 Hz, 24 kHz).

The quantiser is split like Qwen's: `quantizer.semantic_residual_vector_quantizer.layers` (codebook 0) then
`quantizer.acoustic_residual_vector_quantizer.layers`, each group's sum through a bias-free projection.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import torch

from tts_interp.codecs.base import RVQCodec


class MimiCodec(RVQCodec):
    """Mimi, loaded with `transformers.MimiModel.from_pretrained`; all of its quantizers are used."""

    def __init__(self, codec_id: str, directory: Path, device: torch.device):
        from transformers import MimiModel

        self.model = MimiModel.from_pretrained(str(directory)).to(device=device, dtype=torch.float32).eval()
        config = self.model.config
        self.codec_id = codec_id
        self.sample_rate = int(config.sampling_rate)
        self.frame_rate = float(config.frame_rate)
        self.n_codebooks = int(config.num_quantizers)
        self.codebook_size = int(config.codebook_size)

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def vq_layers(self) -> Sequence[torch.nn.Module]:
        quantizer = self.model.quantizer
        return list(quantizer.semantic_residual_vector_quantizer.layers) + list(
            quantizer.acoustic_residual_vector_quantizer.layers
        )

    def _encode_padded(self, batch: torch.Tensor, lengths: Sequence[int]) -> list[torch.Tensor]:
        codes = self.model.encode(
            batch[:, None], num_quantizers=self.n_codebooks, return_dict=True
        ).audio_codes
        return [codes[row, :, : math.ceil(n / self.hop_length)].T for row, n in enumerate(lengths)]

    def _decode_tensor(self, codes: torch.Tensor) -> torch.Tensor:
        return self.model.decode(codes.T[None], return_dict=True).audio_values[0, 0]

    def _quantizer_decode(self, codes: torch.Tensor) -> torch.Tensor:
        return self.model.quantizer.decode(codes.T[None])[0]
