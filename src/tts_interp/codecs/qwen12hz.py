"""Adapter for the Qwen3-TTS 12Hz speech tokenizer (16 codebooks x 2048, 12.5 Hz, 24 kHz).

Its decoder quantiser is split: codebook 0 (the semantic one) is `decoder.quantizer.rvq_first.vq.layers[0]`
and codebook q >= 1 is `decoder.quantizer.rvq_rest.vq.layers[q-1]`; each group's summed output goes through
a bias-free 1x1 convolution, so zeroing one layer's output removes exactly that codebook's contribution.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch

from tts_interp.codecs.base import RVQCodec
from tts_interp.models.qwen3_tts.upstream import import_qwen_tts


class Qwen12HzCodec(RVQCodec):
    """The Qwen3-TTS 12Hz tokenizer, loaded through `qwen_tts.Qwen3TTSTokenizer.from_pretrained`."""

    def __init__(self, codec_id: str, directory: Path, device: torch.device):
        qwen_tts = import_qwen_tts()
        self.tokenizer = qwen_tts.Qwen3TTSTokenizer.from_pretrained(str(directory))
        self.model = self.tokenizer.model.to(device=device, dtype=torch.float32).eval()
        config = self.model.config
        self.codec_id = codec_id
        self.sample_rate = int(config.output_sample_rate)
        self.frame_rate = self.sample_rate / int(config.decode_upsample_rate)
        self.n_codebooks = int(config.decoder_config.num_quantizers)
        self.codebook_size = int(config.decoder_config.codebook_size)

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def vq_layers(self) -> Sequence[torch.nn.Module]:
        quantizer = self.model.decoder.quantizer
        return list(quantizer.rvq_first.vq.layers) + list(quantizer.rvq_rest.vq.layers)

    def _encode_padded(self, batch: torch.Tensor, lengths: Sequence[int]) -> list[torch.Tensor]:
        mask = (
            torch.arange(batch.shape[1], device=batch.device)[None]
            < torch.tensor(lengths, device=batch.device)[:, None]
        )
        return list(self.model.encode(batch, mask.long(), return_dict=True).audio_codes)

    def _decode_tensor(self, codes: torch.Tensor) -> torch.Tensor:
        return self.model.decode(codes[None], return_dict=True).audio_values[0]

    def _quantizer_decode(self, codes: torch.Tensor) -> torch.Tensor:
        return self.model.decoder.quantizer.decode(codes.T[None])[0]
