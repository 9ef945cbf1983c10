"""Seeded random-weight F5-TTS checkpoints written as real checkpoint directories (official key layout).

A built-in is `config.json` (architecture + mel settings) + `model.safetensors` (the EMA state dict under the
`ema_model.` prefix, as the released `model_1250000.safetensors`) + `vocab.txt` (one symbol a line) +
`vocos/` (Vocos' own config.yaml + pytorch_model.bin). It loads through the same loader as real weights.
The audio is noise: these prove the machinery, never a finding.
"""

from __future__ import annotations

import json
import string
from pathlib import Path
from typing import Any

import torch
import yaml
from safetensors.torch import save_file

from tts_interp.models.builtin_cache import cached_builtin
from tts_interp.models.f5tts.upstream import import_f5_tts

BUILTIN_PREFIX = "tiny-f5-tts"
BUILD_FORMAT = 1
MEL = {"target_sample_rate": 24000, "n_mel_channels": 100, "hop_length": 256, "win_length": 1024, "n_fft": 1024,
       "mel_spec_type": "vocos"}
TINY_ARCH = {"dim": 64, "depth": 4, "heads": 2, "dim_head": 32, "ff_mult": 2, "text_dim": 32, "conv_layers": 1,
             "text_mask_padding": True, "qk_norm": None, "pe_attn_head": None}
BUILTINS: dict[str, tuple[str, dict[str, Any]]] = {
    BUILTIN_PREFIX: ("tiny random F5-TTS (DiT, 4 blocks): voice clone from reference audio + text", TINY_ARCH),
}


def vocos_config(dim: int, intermediate: int, layers: int) -> dict[str, Any]:
    """A Vocos config.yaml (mel features 100 x hop 256 at 24 kHz, ISTFT head) in the released file's format."""
    return {"feature_extractor": {"class_path": "vocos.feature_extractors.MelSpectrogramFeatures",
                                  "init_args": {"sample_rate": 24000, "n_fft": 1024, "hop_length": 256, "n_mels": 100,
                                                "padding": "center"}},
            "backbone": {"class_path": "vocos.models.VocosBackbone",
                         "init_args": {"input_channels": 100, "dim": dim, "intermediate_dim": intermediate,
                                       "num_layers": layers}},
            "head": {"class_path": "vocos.heads.ISTFTHead",
                     "init_args": {"dim": dim, "n_fft": 1024, "hop_length": 256, "padding": "same"}}}


def tiny_vocab() -> list[str]:
    """Symbols of the tiny vocabulary: space, ASCII letters, digits and punctuation (index 0 is the space)."""
    return [" "] + list(string.ascii_letters + string.digits + string.punctuation)


def build_checkpoint(model_id: str, directory: Path, seed: int = 0) -> dict[str, Any]:
    """Write the seeded built-in `model_id` into `directory`; return what the built-in stamp records."""
    import_f5_tts()
    from f5_tts.model.backbones.dit import DiT
    from f5_tts.model.cfm import CFM
    from vocos import Vocos

    _, arch = BUILTINS[model_id]
    vocab = tiny_vocab()
    torch.manual_seed(seed)
    model = CFM(transformer=DiT(**arch, text_num_embeds=len(vocab), mel_dim=MEL["n_mel_channels"]),
                mel_spec_kwargs=MEL, vocab_char_map={c: i for i, c in enumerate(vocab)})
    with torch.no_grad():  # upstream zero-initialises the adaptive norms and the output projection
        for param in model.parameters():
            if param.ndim >= 1 and bool((param == 0).all()):
                param.normal_(0.0, 0.02)
    staging = Path(directory)
    (staging / "vocos").mkdir(parents=True)
    state = {f"ema_model.{k}": v.contiguous() for k, v in model.state_dict().items()}
    state |= {"initted": torch.tensor(True), "step": torch.tensor(0)}
    save_file(state, str(staging / "model.safetensors"))
    (staging / "vocab.txt").write_text("".join(f"{c}\n" for c in vocab))
    config = {"model_type": "f5-tts", "arch": arch, "mel_spec": MEL, "weights": "model.safetensors",
              "vocab": "vocab.txt", "vocoder": "vocos"}
    (staging / "config.json").write_text(json.dumps(config, indent=2))
    voc_config = vocos_config(32, 64, 1)
    (staging / "vocos" / "config.yaml").write_text(yaml.safe_dump(voc_config))
    vocos = Vocos.from_hparams(str(staging / "vocos" / "config.yaml"))
    torch.save(vocos.state_dict(), staging / "vocos" / "pytorch_model.bin")
    return {"id": model_id, "seed": seed}


def builtin_checkpoint(model_id: str) -> Path:
    """The directory of a built-in F5-TTS checkpoint, built into the cache on first use."""
    return cached_builtin(model_id, BUILD_FORMAT, lambda directory: build_checkpoint(model_id, directory))


def builtin_descriptions() -> dict[str, str]:
    """Built-in id -> one line, for `tts-interp models`."""
    return {model_id: text for model_id, (text, _) in BUILTINS.items()}
