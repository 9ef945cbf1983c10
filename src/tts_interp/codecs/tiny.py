"""Seeded tiny checkpoints of each codec family, built from the real classes and saved as real checkpoints.

They load through the same `from_pretrained` code as real weights, so the whole codebook lab runs offline on
a CPU. Their weights are random: the audio they make is noise and proves the machinery, never a finding.
Fresh codebooks are all zeros; every entry is given a distinct seeded vector (EnCodec's from data, see below).
"""

from __future__ import annotations

from pathlib import Path

import torch

from tts_interp.models.qwen3_tts.tiny import build_speech_tokenizer

TINY_SAMPLE_RATE = 24000


def _randomise_codebooks(model: torch.nn.Module, seed: int) -> None:
    """Give every Mimi codebook entry a distinct seeded vector (its `embed_sum`, with unit usage)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, buffer in model.named_buffers():
            if name.endswith("codebook.embed_sum"):
                buffer.copy_(torch.randn(buffer.shape, generator=generator))
            elif name.endswith("cluster_usage"):
                buffer.fill_(1.0)


RESIDUAL_DECAY = 0.9  # EnCodec layer k's entries are at least RESIDUAL_DECAY**k of layer 0's scale


def _seed_codebooks_from_data(model: torch.nn.Module, seed: int) -> None:
    """Initialise EnCodec's codebooks as its training does (from data): each layer's entries are jittered
    residual frames of seeded noise and tone signals, so every layer sees inputs at its own scale. Picked
    frames are reproduced almost exactly, so the residual collapses after a few layers (to ~1e-13 by layer
    16); each layer's entries are therefore kept at a scale of at least RESIDUAL_DECAY**k of the first
    layer's, as in a trained RVQ, so that every codebook contributes and ablating any one changes the audio."""
    generator = torch.Generator().manual_seed(seed)
    n_signals, sr = 16, TINY_SAMPLE_RATE
    t = torch.arange(sr) / sr
    f0 = 80 + 300 * torch.rand(n_signals // 2, 1, generator=generator)
    tones = sum(torch.sin(2 * torch.pi * h * f0 * t) / h for h in range(1, 5))
    noise = torch.randn(n_signals // 2, sr, generator=generator)
    gains = torch.logspace(-2, -0.3, n_signals)[:, None]
    signals = (torch.cat([tones, noise]) / 2 * gains)[:, None]
    with torch.no_grad():
        frames = model.encoder(signals).permute(0, 2, 1).reshape(-1, model.config.codebook_dim)
        residual = frames
        first_scale = float(frames.std())
        for k, layer in enumerate(model.quantizer.layers):
            codebook = layer.codebook
            picks = torch.randperm(len(residual), generator=generator)[: codebook.codebook_size]
            floor = first_scale * RESIDUAL_DECAY**k
            spread = 0.05 * float(residual.std()) if float(residual.std()) >= floor else floor
            jitter = spread * torch.randn(len(picks), residual.shape[1], generator=generator)
            codebook.embed.copy_(residual[picks] + jitter)
            codebook.embed_avg.copy_(codebook.embed)
            codebook.cluster_size.fill_(1.0)
            residual = residual - codebook.decode(codebook.encode(residual))


def _save_with_feature_extractor(model: torch.nn.Module, out_dir: Path) -> Path:
    from transformers import EncodecFeatureExtractor

    model.save_pretrained(str(out_dir))
    EncodecFeatureExtractor(
        feature_size=1, sampling_rate=TINY_SAMPLE_RATE, padding_value=0.0
    ).save_pretrained(str(out_dir))
    return out_dir


def build_tiny_mimi(out_dir: Path, seed: int) -> Path:
    """A tiny transformers Mimi: 8 codebooks x 2048 (1 semantic), 12.5 Hz at 24 kHz."""
    from transformers import MimiConfig, MimiModel

    torch.manual_seed(seed)
    config = MimiConfig(
        sampling_rate=TINY_SAMPLE_RATE,
        frame_rate=12.5,
        audio_channels=1,
        hidden_size=32,
        num_filters=4,
        num_residual_layers=1,
        upsampling_ratios=[8, 6, 5, 4],
        kernel_size=7,
        last_kernel_size=3,
        residual_kernel_size=3,
        dilation_growth_rate=2,
        compress=2,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=2,
        head_dim=16,
        intermediate_size=64,
        sliding_window=50,
        codebook_size=2048,
        codebook_dim=16,
        num_quantizers=8,
        num_semantic_quantizers=1,
        vector_quantization_hidden_dimension=16,
        upsample_groups=32,
        use_cache=False,
    )
    model = MimiModel(config).eval()
    _randomise_codebooks(model, seed + 1)
    return _save_with_feature_extractor(model, out_dir)


def build_tiny_encodec(out_dir: Path, seed: int) -> Path:
    """A tiny transformers EnCodec: 32 codebooks x 1024 at 24 kbps, 75 Hz at 24 kHz, causal, unchunked."""
    from transformers import EncodecConfig, EncodecModel

    torch.manual_seed(seed)
    config = EncodecConfig(
        target_bandwidths=[1.5, 3.0, 6.0, 12.0, 24.0],
        sampling_rate=TINY_SAMPLE_RATE,
        audio_channels=1,
        normalize=False,
        chunk_length_s=None,
        overlap=None,
        hidden_size=16,
        num_filters=4,
        num_residual_layers=1,
        upsampling_ratios=[8, 5, 4, 2],
        codebook_size=1024,
        codebook_dim=16,
        num_lstm_layers=1,
        use_causal_conv=True,
    )
    model = EncodecModel(config).eval()
    _seed_codebooks_from_data(model, seed + 1)
    return _save_with_feature_extractor(model, out_dir)


def build_tiny_qwen12hz(out_dir: Path, seed: int) -> Path:
    """The tiny Qwen3-TTS 12Hz tokenizer (16 codebooks x 2048), from the Qwen3-TTS family's builder."""
    return build_speech_tokenizer(out_dir, seed)
