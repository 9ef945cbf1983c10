"""Seeded tiny Qwen3-TTS checkpoints built from the real upstream classes, for tests, the demo and benchmarks.

Each built-in is written once as a real checkpoint directory (config.json, model.safetensors,
generation_config.json, a small byte-level BPE text tokenizer, and `speech_tokenizer/` holding a tiny 12Hz
codec) and then loaded through exactly the same `from_pretrained` path as real weights. The weights are random:
the audio is noise. They prove the machinery, never a finding.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from tts_interp.models.builtin_cache import cached_builtin
from tts_interp.models.qwen3_tts.upstream import import_qwen_tts

TINY_TEXT_CORPUS = (
    "the quick brown fox jumps over the lazy dog. hello world, this is a tiny speech model. "
    "a deep slow male voice. a bright fast female voice. speak softly and clearly. "
    "she sells sea shells by the sea shore. numbers one two three four five six seven eight nine ten. "
)
# The prompt layout slices fixed token counts ("<|im_start|>assistant\n" must be 3 tokens, as in Qwen2's
# vocabulary), so the role words must each become one token.
ROLE_WORDS = "assistant\nuser\n" * 64
# Special tokens of the real Qwen2 tokenizer that the prompt layout uses, plus the three TTS markers.
SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|tts_pad|>", "<|tts_text_bos|>",
                  "<|tts_text_eod|>"]
LANGUAGES = {"english": 2050, "german": 2053, "spanish": 2054, "chinese": 2055, "japanese": 2058}
CUSTOM_SPEAKERS = {"aria": 3000, "bram": 3001, "cleo": 3002}
VARIANTS = {"base": "base", "customvoice": "custom_voice", "voicedesign": "voice_design"}
BUILTIN_PREFIX = "tiny-qwen3-tts-"
BUILD_FORMAT = 3  # bump when the tiny recipe changes, so stale cached checkpoints are rebuilt


@dataclass(frozen=True)
class TinySize:
    """Sizes of a random-weight Qwen3-TTS built from the real classes (tiny for tests, larger for benchmarks)."""

    hidden: int = 64
    layers: int = 4
    heads: int = 4
    kv_heads: int = 2
    head_dim: int = 16
    intermediate: int = 128
    cp_hidden: int = 32
    cp_layers: int = 2
    cp_heads: int = 2
    cp_kv_heads: int = 1
    cp_head_dim: int = 16
    cp_intermediate: int = 64
    text_hidden: int = 64


SIZES = {
    "tiny": TinySize(),
    # bench: compute dominates Python overhead on CPU (see benchmarks/trace_overhead.py)
    "bench": TinySize(hidden=512, layers=8, heads=8, kv_heads=4, head_dim=64, intermediate=1536, cp_hidden=256,
                      cp_layers=2, cp_heads=4, cp_kv_heads=2, cp_head_dim=64, cp_intermediate=768, text_hidden=256),
    # the real 0.6B talker/code-predictor shapes (random weights), for GPU speed and memory checks
    "0.6b": TinySize(hidden=1024, layers=28, heads=16, kv_heads=8, head_dim=128, intermediate=3072, cp_hidden=1024,
                     cp_layers=5, cp_heads=16, cp_kv_heads=8, cp_head_dim=128, cp_intermediate=3072,
                     text_hidden=2048),
}


def builtin_ids() -> list[str]:
    """The ids of the built-in tiny checkpoints, e.g. `tiny-qwen3-tts-voicedesign`."""
    return [BUILTIN_PREFIX + v for v in VARIANTS]


def sized_builtin_ids() -> list[str]:
    """Every built-in id, with the larger random sizes as suffixes (`tiny-qwen3-tts-voicedesign-bench`)."""
    return builtin_ids() + [f"{i}-{size}" for i in builtin_ids() for size in SIZES if size != "tiny"]


def sized_checkpoint(model_id: str) -> Path:
    """The cached checkpoint of a (possibly size-suffixed) built-in id."""
    for size in SIZES:
        if size != "tiny" and model_id.endswith(f"-{size}"):
            return builtin_checkpoint(model_id.removesuffix(f"-{size}"), size)
    return builtin_checkpoint(model_id)


def _build_text_tokenizer(out_dir: Path) -> dict[str, int]:
    """Train a small byte-level BPE on a fixed corpus and save it as a Qwen2 tokenizer; return special ids."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import Qwen2TokenizerFast

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=SPECIAL_TOKENS, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    bpe.train_from_iterator([TINY_TEXT_CORPUS] * 4 + [ROLE_WORDS], trainer=trainer)
    tokenizer = Qwen2TokenizerFast(tokenizer_object=bpe, unk_token=None, bos_token=None,
                                   eos_token="<|endoftext|>", pad_token="<|endoftext|>")
    tokenizer.add_special_tokens({"additional_special_tokens": SPECIAL_TOKENS[1:]})
    tokenizer.save_pretrained(str(out_dir))
    return {tok: tokenizer.convert_tokens_to_ids(tok) for tok in SPECIAL_TOKENS} | {"vocab_size": len(tokenizer)}


def _tiny_speech_tokenizer_config() -> dict[str, Any]:
    """A tiny 12Hz codec config: Mimi encoder and Qwen decoder, 16 codebooks x 2048, hop 1920 at 24 kHz."""
    encoder = dict(sampling_rate=24000, frame_rate=12.5, audio_channels=1, hidden_size=32, num_filters=4,
                   num_residual_layers=1, upsampling_ratios=[8, 6, 5, 4], kernel_size=7, last_kernel_size=3,
                   residual_kernel_size=3, dilation_growth_rate=2, compress=2, num_hidden_layers=1,
                   num_attention_heads=2, num_key_value_heads=2, head_dim=16, intermediate_size=64,
                   sliding_window=50, codebook_size=2048, codebook_dim=16, num_quantizers=16,
                   num_semantic_quantizers=1, vector_quantization_hidden_dimension=16, upsample_groups=32,
                   use_cache=False)
    decoder = dict(codebook_size=2048, codebook_dim=32, hidden_size=32, latent_dim=32, num_attention_heads=2,
                   num_key_value_heads=2, intermediate_size=64, num_hidden_layers=1, num_quantizers=16,
                   upsample_rates=[8, 5, 4, 3], upsampling_ratios=[2, 2], decoder_dim=32, sliding_window=72,
                   max_position_embeddings=8000)
    return dict(encoder_config=encoder, decoder_config=decoder, encoder_valid_num_quantizers=16,
                input_sample_rate=24000, output_sample_rate=24000, decode_upsample_rate=1920,
                encode_downsample_rate=1920)


def _randomise_codebooks(model: torch.nn.Module, generator: torch.Generator) -> None:
    """Codebooks start as zeros in both codec halves; give every entry a distinct seeded vector."""
    with torch.no_grad():
        for name, tensor in list(model.named_parameters()) + list(model.named_buffers()):
            if name.endswith("embedding_sum") or name.endswith("embed_sum"):
                tensor.copy_(torch.randn(tensor.shape, generator=generator))
            elif name.endswith("cluster_usage"):
                tensor.fill_(1.0)
            elif name.endswith("initialized"):
                tensor.fill_(True)


def _calibrate_output_level(model: torch.nn.Module, generator: torch.Generator, target_rms: float = 0.1) -> None:
    """Scale the decoder's last conv so random codes decode to audible noise (RMS ~0.1), not ~1e-8.

    With default init the many small layers shrink the signal to near silence, which every audio check would
    (rightly) call silent. One linear rescale of the final projection fixes the level; it stays random noise.
    """
    codes = torch.randint(0, model.config.decoder_config.codebook_size, (1, 16, 25), generator=generator)
    last = model.decoder.decoder[-1].conv
    with torch.no_grad():
        rms = float(model.decoder(codes).pow(2).mean().sqrt())
        gain = target_rms / max(rms, 1e-12)
        last.weight.mul_(gain)
        if last.bias is not None:
            last.bias.mul_(gain)


def build_speech_tokenizer(out_dir: Path, seed: int) -> Path:
    """Write a seeded tiny 12Hz speech tokenizer checkpoint (config, weights, feature extractor) to `out_dir`."""
    import_qwen_tts()
    from qwen_tts.core.tokenizer_12hz.configuration_qwen3_tts_tokenizer_v2 import Qwen3TTSTokenizerV2Config
    from qwen_tts.core.tokenizer_12hz.modeling_qwen3_tts_tokenizer_v2 import Qwen3TTSTokenizerV2Model
    from transformers import EncodecFeatureExtractor

    torch.manual_seed(seed)
    config = Qwen3TTSTokenizerV2Config(**_tiny_speech_tokenizer_config())
    model = Qwen3TTSTokenizerV2Model(config).eval()
    _randomise_codebooks(model, torch.Generator().manual_seed(seed + 1))
    _calibrate_output_level(model, torch.Generator().manual_seed(seed + 2))
    model.save_pretrained(str(out_dir))
    EncodecFeatureExtractor(feature_size=1, sampling_rate=24000, padding_value=0.0).save_pretrained(str(out_dir))
    return out_dir


def _talker_config(variant: str, size: TinySize, special: dict[str, int]) -> dict[str, Any]:
    half = size.head_dim // 2  # MRoPE sections must sum to head_dim / 2 (the real models: [24, 20, 20])
    first = half * 3 // 8
    rope_section = [first, (half - first) // 2, half - first - (half - first) // 2]
    code_predictor = dict(vocab_size=2048, hidden_size=size.cp_hidden, intermediate_size=size.cp_intermediate,
                          num_hidden_layers=size.cp_layers, num_attention_heads=size.cp_heads,
                          num_key_value_heads=size.cp_kv_heads, head_dim=size.cp_head_dim,
                          num_code_groups=16, max_position_embeddings=64, rope_theta=10000)
    custom = variant == "customvoice"
    return dict(code_predictor_config=code_predictor, vocab_size=3072, hidden_size=size.hidden,
                intermediate_size=size.intermediate, num_hidden_layers=size.layers,
                num_attention_heads=size.heads, num_key_value_heads=size.kv_heads, head_dim=size.head_dim,
                max_position_embeddings=32768, rope_theta=1000000,
                rope_scaling={"rope_type": "default", "mrope_section": rope_section, "interleaved": True},
                num_code_groups=16, text_hidden_size=size.text_hidden, text_vocab_size=special["vocab_size"],
                codec_eos_token_id=2150, codec_think_id=2154, codec_nothink_id=2155, codec_think_bos_id=2156,
                codec_think_eos_id=2157, codec_pad_id=2148, codec_bos_id=2149,
                codec_language_id=dict(LANGUAGES),
                spk_id=dict(CUSTOM_SPEAKERS) if custom else {},
                spk_is_dialect=dict.fromkeys(CUSTOM_SPEAKERS, False) if custom else {})


def write_checkpoint(variant: str, directory: Path, size: TinySize = SIZES["tiny"], seed: int = 0) -> dict[str, Any]:
    """Write a seeded random-weight Qwen3-TTS checkpoint of `variant` (base|customvoice|voicedesign) into
    `directory`; return what the built-in stamp records."""
    import_qwen_tts()
    from qwen_tts.core.models.configuration_qwen3_tts import Qwen3TTSConfig
    from qwen_tts.core.models.modeling_qwen3_tts import Qwen3TTSForConditionalGeneration

    staging = Path(directory)
    special = _build_text_tokenizer(staging)
    speaker_encoder = dict(mel_dim=128, enc_dim=size.hidden, enc_channels=[32, 32, 32, 32, 96],
                           enc_attention_channels=16, enc_res2net_scale=4, enc_se_channels=16, sample_rate=24000)
    config = Qwen3TTSConfig(
        talker_config=_talker_config(variant, size, special), speaker_encoder_config=speaker_encoder,
        tokenizer_type="qwen3_tts_tokenizer_12hz", tts_model_size="tiny", tts_model_type=VARIANTS[variant],
        im_start_token_id=special["<|im_start|>"], im_end_token_id=special["<|im_end|>"],
        tts_pad_token_id=special["<|tts_pad|>"], tts_bos_token_id=special["<|tts_text_bos|>"],
        tts_eos_token_id=special["<|tts_text_eod|>"])
    torch.manual_seed(seed)
    model = Qwen3TTSForConditionalGeneration(config).eval()
    model.save_pretrained(str(staging))
    # Upstream bug: the speaker-encoder sub-config does not round-trip its generic PretrainedConfig keys.
    config_path = staging / "config.json"
    saved = json.loads(config_path.read_text())
    saved["speaker_encoder_config"] = speaker_encoder
    config_path.write_text(json.dumps(saved, indent=2))
    generation = dict(do_sample=True, temperature=0.9, top_k=50, top_p=1.0, repetition_penalty=1.05,
                      subtalker_dosample=True, subtalker_temperature=0.9, subtalker_top_k=50, subtalker_top_p=1.0,
                      max_new_tokens=8192)
    (staging / "generation_config.json").write_text(json.dumps(generation, indent=2))
    build_speech_tokenizer(staging / "speech_tokenizer", seed)
    return {"variant": variant, "size": asdict(size), "seed": seed}


def builtin_checkpoint(model_id: str, size_name: str = "tiny") -> Path:
    """Return the directory of a built-in checkpoint, building it into the cache on first use."""
    variant = model_id.removeprefix(BUILTIN_PREFIX)
    suffix = "" if size_name == "tiny" else f"-{size_name}"
    return cached_builtin(f"{model_id}{suffix}", BUILD_FORMAT,
                          lambda directory: write_checkpoint(variant, directory, SIZES[size_name]))


def builtin_descriptions() -> dict[str, str]:
    """Built-in id -> one line, for `tts-interp models`."""
    about = {"base": "voice clone from reference audio (x-vector / in-context)",
             "customvoice": "named speakers, optional instruct", "voicedesign": "instruct only"}
    return {f"{BUILTIN_PREFIX}{v}": f"tiny random Qwen3-TTS {v}: {about[v]}" for v in VARIANTS}
