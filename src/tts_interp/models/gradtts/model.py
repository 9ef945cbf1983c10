"""The Grad-TTS network assembled from the upstream classes, its config, and the adapter-driven sampler.

`GradTTSNetwork` holds the upstream `TextEncoder` and `Diffusion` (with its `GradLogPEstimator2d` U-Net) under
the attribute names of the official checkpoints (`spk_emb`, `encoder`, `decoder`), so the released state dicts
load unchanged. It is assembled here because the official code has two multi-speaker layouts: the released
LibriTTS checkpoint (2021) has a text encoder that does not see the speaker (as the PyPI fork's `GradTTS`);
code after Speech-Backbones commit 5611ea8 (2023) concatenates the speaker embedding into the encoder
(`encoder_speaker`), which models trained with it need.

Sampling mirrors upstream `GradTTS.forward` + `Diffusion.reverse_diffusion` (deterministic, `stoc=False`) with
two differences: the loop is ours, so each estimator call is one traced step at a known t and the trajectory
is kept; and the mel length is rounded up to a multiple of 4 (the U-Net downsamples twice) by lengthening the
final (blank) token instead of padding with masked frames, so every U-Net frame belongs to the utterance.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

import torch

from tts_interp.core.errors import BadInputError
from tts_interp.models.denoising.settings import Sampled, SamplerSettings
from tts_interp.models.gradtts.upstream import import_grad_tts


@dataclass(frozen=True)
class GradTTSConfig:
    """Hyper-parameters of a Grad-TTS checkpoint; the defaults are the official LJSpeech model's (params.py)."""

    n_vocab: int = 149  # len(symbols) + 1: the blank interspersed between symbols
    n_spks: int = 1  # 247 for the official LibriTTS model
    spk_emb_dim: int = 64
    n_enc_channels: int = 192
    filter_channels: int = 768
    filter_channels_dp: int = 256
    n_heads: int = 2
    n_enc_layers: int = 6
    enc_kernel: int = 3
    enc_dropout: float = 0.1
    window_size: int = 4
    n_feats: int = 80
    dec_dim: int = 64
    beta_min: float = 0.05
    beta_max: float = 20.0
    pe_scale: int = 1000  # 1 for the official `grad-tts-old.pt`
    sample_rate: int = 22050
    hop_length: int = 256
    add_blank: bool = True
    encoder_speaker: bool = False  # True for multi-speaker models trained with the official code after 5611ea8

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GradTTSConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def dim_mults(self) -> tuple[int, ...]:
        return (1, 2, 4)  # fixed in upstream GradLogPEstimator2d as used by Diffusion


class GradTTSNetwork(torch.nn.Module):
    """Speaker table, text encoder (+ duration predictor) and diffusion decoder, keyed like the official model."""

    def __init__(self, config: GradTTSConfig):
        super().__init__()
        import_grad_tts()
        from grad_tts.model.diffusion import Diffusion
        from grad_tts.model.text_encoder import TextEncoder

        c = config
        self.config = config
        if c.n_spks > 1:
            self.spk_emb = torch.nn.Embedding(c.n_spks, c.spk_emb_dim)
        encoder_speakers = c.n_spks if c.encoder_speaker else 1
        self.encoder = TextEncoder(c.n_vocab, c.n_feats, c.n_enc_channels, c.filter_channels, c.filter_channels_dp,
                                   c.n_heads, c.n_enc_layers, c.enc_kernel, c.enc_dropout, c.window_size,
                                   c.spk_emb_dim, encoder_speakers)
        self.decoder = Diffusion(c.n_feats, c.dec_dim, c.n_spks, c.spk_emb_dim, c.beta_min, c.beta_max, c.pe_scale)

    def timesteps(self, steps: int) -> tuple[float, ...]:
        """The time of each reverse-diffusion step: midpoints from 1 (noise) down to 0 (data)."""
        h = 1.0 / steps
        return tuple(1.0 - (i + 0.5) * h for i in range(steps))

    @torch.no_grad()
    def synthesise(self, tokens: torch.Tensor, speaker: int | None, settings: SamplerSettings) -> Sampled:
        """Text ids (n,) -> mel (n_feats, T): encoder, durations, prior mu, then reverse diffusion from z."""
        from grad_tts.model.diffusion import get_noise
        from grad_tts.model.utils import fix_len_compatibility, generate_path, sequence_mask

        device = next(self.parameters()).device
        x = tokens.to(device)[None]
        x_lengths = torch.tensor([x.shape[1]], device=device)
        spk = None
        if self.config.n_spks > 1:
            if speaker is None:
                raise BadInputError(f"this Grad-TTS model has {self.config.n_spks} speakers; give --speaker "
                                    f"0..{self.config.n_spks - 1}")
            spk = self.spk_emb(torch.tensor([speaker], device=device))
        mu_x, logw, x_mask = self.encoder(x, x_lengths, spk)
        w_ceil = torch.ceil(torch.exp(logw) * x_mask) * settings.length_scale
        length = int(torch.clamp_min(w_ceil.sum(), 1))
        padded = fix_len_compatibility(length)
        w_ceil[0, 0, -1] += padded - float(w_ceil.sum())  # the final blank absorbs the rounding
        y_mask = sequence_mask(torch.tensor([padded], device=device), padded).unsqueeze(1).to(x_mask.dtype)
        attn = generate_path(w_ceil.squeeze(1), (x_mask.unsqueeze(-1) * y_mask.unsqueeze(2)).squeeze(1))
        mu_y = torch.matmul(attn.transpose(1, 2), mu_x.transpose(1, 2)).transpose(1, 2)
        generator = torch.Generator(device="cpu").manual_seed(settings.seed)
        noise = torch.randn(mu_y.shape, generator=generator).to(device=device, dtype=mu_y.dtype)
        xt = (mu_y + noise / settings.temperature) * y_mask
        timesteps = self.timesteps(settings.steps)
        h = 1.0 / settings.steps
        trajectory = [xt[0].float().cpu()]
        for t_value in timesteps:
            t = torch.full((1,), t_value, dtype=xt.dtype, device=device)
            noise_t = get_noise(t.unsqueeze(-1).unsqueeze(-1), self.config.beta_min, self.config.beta_max)
            score = self.decoder.estimator(xt, y_mask, mu_y, t, spk)
            xt = (xt - 0.5 * (mu_y - xt - score) * noise_t * h) * y_mask
            trajectory.append(xt[0].float().cpu())
        return Sampled(trajectory[-1], torch.stack(trajectory), timesteps)
