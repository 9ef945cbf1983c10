"""Finding the adapter for a model id: built-in ids by name, anything else by its checkpoint's config."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch

from tts_interp.core.errors import UnknownNameError
from tts_interp.models.qwen3_tts import tiny as qwen_tiny


@dataclass(frozen=True)
class BuiltinModel:
    """A built-in model id, its family and a one-line description."""

    model_id: str
    family: str
    description: str


def builtin_models() -> list[BuiltinModel]:
    """Every built-in (tiny, random-weight) model."""
    about = {"base": "voice clone from reference audio (x-vector / in-context)",
             "customvoice": "named speakers, optional instruct", "voicedesign": "instruct only"}
    return [BuiltinModel(f"{qwen_tiny.BUILTIN_PREFIX}{v}", "qwen3-tts", f"tiny random Qwen3-TTS {v}: {about[v]}")
            for v in qwen_tiny.VARIANTS]


def family_of(model_id: str) -> str:
    """The family of a model id: by built-in prefix, by a local checkpoint's config, else Qwen3-TTS."""
    if model_id.startswith(qwen_tiny.BUILTIN_PREFIX):
        return "qwen3-tts"
    config = Path(model_id).expanduser() / "config.json"
    if config.is_file():
        model_type = json.loads(config.read_text()).get("model_type", "")
        if model_type == "qwen3_tts":
            return "qwen3-tts"
        raise UnknownNameError("model type", model_type, ["qwen3_tts"])
    return "qwen3-tts"


def load_model(model_id: str, device: torch.device, dtype: torch.dtype):  # noqa: ANN201 - returns an adapter
    """Load a model adapter by id (built-in id, local directory or hub id)."""
    from tts_interp.models.qwen3_tts.adapter import Qwen3TTSAdapter

    family = family_of(model_id)
    if family == "qwen3-tts":
        return Qwen3TTSAdapter.load(model_id, device, dtype)
    raise UnknownNameError("model family", family, ["qwen3-tts"])
