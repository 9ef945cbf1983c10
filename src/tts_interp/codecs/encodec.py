"""Adapter for Meta's EnCodec through transformers' `EncodecModel` (24 kHz: 75 Hz, 1024-entry codebooks).

EnCodec's quantiser is one plain residual stack (`quantizer.layers`) with no projection; codes are taken
at the highest bandwidth the checkpoint offers, so every codebook is present.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import torch

from tts_interp.codecs.base import RVQCodec
from tts_interp.core.errors import BadInputError


class EncodecCodec(RVQCodec):
    """EnCodec (unchunked, unnormalised checkpoints such as facebook/encodec_24khz)."""

    def __init__(self, codec_id: str, directory: Path, device: torch.device):
        from transformers import EncodecModel

        self.model = (
            EncodecModel.from_pretrained(str(directory)).to(device=device, dtype=torch.float32).eval()
        )
        config = self.model.config
        if config.chunk_length_s is not None or config.normalize or config.audio_channels != 1:
            raise BadInputError(
                f"codec {codec_id!r}: only mono, unchunked, unnormalised EnCodec checkpoints "
                "(like facebook/encodec_24khz) are supported"
            )
        self.bandwidth = float(max(config.target_bandwidths))
        self.codec_id = codec_id
        self.sample_rate = int(config.sampling_rate)
        self.frame_rate = float(config.frame_rate)
        self.n_codebooks = int(self.model.quantizer.get_num_quantizers_for_bandwidth(self.bandwidth))
        self.codebook_size = int(config.codebook_size)

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def vq_layers(self) -> Sequence[torch.nn.Module]:
        return list(self.model.quantizer.layers[: self.n_codebooks])

    def _encode_padded(self, batch: torch.Tensor, lengths: Sequence[int]) -> list[torch.Tensor]:
        codes = self.model.encode(batch[:, None], bandwidth=self.bandwidth, return_dict=True).audio_codes[0]
        return [codes[row, :, : math.ceil(n / self.hop_length)].T for row, n in enumerate(lengths)]

    def _decode_tensor(self, codes: torch.Tensor) -> torch.Tensor:
        return self.model.decode(codes.T[None, None], [None], return_dict=True).audio_values[0, 0]

    def _quantizer_decode(self, codes: torch.Tensor) -> torch.Tensor:
        return self.model.quantizer.decode(codes.T[:, None, :])[0]
