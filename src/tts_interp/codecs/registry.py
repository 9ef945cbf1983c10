"""Finding and loading a codec by id: a built-in tiny id, a local checkpoint directory, or a hub id.

A hub id goes through `models.hub.resolve_checkpoint` (the Hugging Face cache, downloaded there unless
HF_HUB_OFFLINE is set); when it cannot be had, the error names the model, the cache looked in and how to
get it. The family is read from the checkpoint's config.json, so any Qwen 12Hz tokenizer, Mimi or EnCodec
checkpoint works, and a full Qwen3-TTS model directory is accepted for its `speech_tokenizer/`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from tts_interp.codecs import tiny
from tts_interp.codecs.base import RVQCodec
from tts_interp.core.errors import BadInputError, UnknownNameError
from tts_interp.models.builtin_cache import cached_builtin
from tts_interp.models.hub import HUB_ID, resolve_checkpoint

BUILTIN_FORMAT = 3  # bump when a tiny recipe changes, so stale cached builds are rebuilt
BUILTIN_SEED = 0
BUILTINS: dict[str, Callable[[Path, int], Path]] = {
    "tiny-qwen12hz": tiny.build_tiny_qwen12hz,
    "tiny-mimi": tiny.build_tiny_mimi,
    "tiny-encodec": tiny.build_tiny_encodec,
}
HUB_EXAMPLES = ("Qwen/Qwen3-TTS-Tokenizer-12Hz", "kyutai/mimi", "facebook/encodec_24khz")
MODEL_TYPES = ("qwen3_tts_tokenizer_12hz", "mimi", "encodec")
_loaded: dict[tuple[str, str], RVQCodec] = {}


def known_codec_ids() -> list[str]:
    """Built-in ids plus example hub ids, for error messages and `--help`."""
    return list(BUILTINS) + list(HUB_EXAMPLES)


def builtin_dir(codec_id: str) -> Path:
    """The directory of a built-in tiny codec, building it into the cache on first use."""

    def build(directory: Path) -> dict[str, Any]:
        BUILTINS[codec_id](directory, BUILTIN_SEED)
        return {"codec": codec_id, "seed": BUILTIN_SEED}

    return cached_builtin(codec_id, BUILTIN_FORMAT, build)


def resolve_codec_dir(codec_id: str) -> tuple[Path, str]:
    """Return (checkpoint directory, model_type) for a built-in id, a local directory or a hub id."""
    if codec_id in BUILTINS:
        directory = builtin_dir(codec_id)
    elif Path(codec_id).expanduser().is_dir():
        directory = Path(codec_id).expanduser()
    elif HUB_ID.match(codec_id):
        directory = resolve_checkpoint(codec_id, list(BUILTINS))
    else:
        raise UnknownNameError("codec", codec_id, known_codec_ids() + ["<a local checkpoint directory>"])
    config_path = directory / "config.json"
    if not config_path.is_file():
        raise BadInputError(f"codec {codec_id!r}: {directory} has no config.json")
    model_type = json.loads(config_path.read_text()).get("model_type", "")
    if model_type == "qwen3_tts" and (directory / "speech_tokenizer" / "config.json").is_file():
        return resolve_codec_dir(str(directory / "speech_tokenizer"))
    if model_type not in MODEL_TYPES:
        raise UnknownNameError(f"codec model_type in {config_path}", model_type, MODEL_TYPES)
    return directory, model_type


def load_codec(codec_id: str, device: torch.device | str = "cpu") -> RVQCodec:
    """Load (once per process and device) the codec named by `codec_id`, in float32."""
    device = torch.device(device)
    key = (codec_id, str(device))
    if key not in _loaded:
        from tts_interp.codecs.encodec import EncodecCodec
        from tts_interp.codecs.mimi import MimiCodec
        from tts_interp.codecs.qwen12hz import Qwen12HzCodec

        directory, model_type = resolve_codec_dir(codec_id)
        family = {"qwen3_tts_tokenizer_12hz": Qwen12HzCodec, "mimi": MimiCodec, "encodec": EncodecCodec}
        _loaded[key] = family[model_type](codec_id, directory, device)
    return _loaded[key]
