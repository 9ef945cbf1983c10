"""Finding the adapter for a model id: built-in ids by name, anything else by its checkpoint's config."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch

from tts_interp.core.errors import UnknownNameError
from tts_interp.models.f5tts import tiny as f5_tiny
from tts_interp.models.gradtts import tiny as gradtts_tiny
from tts_interp.models.qwen3_tts import tiny as qwen_tiny

# Kokoro: the offline int8 build, the original release on the hub, or a directory holding its weights file
KOKORO_BUILTIN, KOKORO_HUB, KOKORO_WEIGHTS = "kokoro-82m", "hexgrad/Kokoro-82M", "kokoro-v1_0.pth"
# checkpoint config.json model_type -> family
MODEL_TYPES = {"qwen3_tts": "qwen3-tts", "grad-tts": "grad-tts", "f5-tts": "f5-tts"}


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
    qwen = [BuiltinModel(f"{qwen_tiny.BUILTIN_PREFIX}{v}", "qwen3-tts", f"tiny random Qwen3-TTS {v}: {about[v]}")
            for v in qwen_tiny.VARIANTS]
    gradtts = [BuiltinModel(k, "grad-tts", text) for k, (text, _) in gradtts_tiny.BUILTINS.items()]
    f5 = [BuiltinModel(k, "f5-tts", text) for k, (text, _) in f5_tiny.BUILTINS.items()]
    kokoro = [BuiltinModel(KOKORO_BUILTIN, "kokoro", "Kokoro-82M, TRAINED weights (int8 build, dequantized), 54 voices")]
    return qwen + gradtts + f5 + kokoro


def family_of(model_id: str) -> str:
    """The family of a model id: by built-in prefix, by a local checkpoint's config, else Qwen3-TTS."""
    if model_id.startswith(qwen_tiny.BUILTIN_PREFIX):
        return "qwen3-tts"
    if model_id.startswith(gradtts_tiny.BUILTIN_PREFIX):
        return "grad-tts"
    if model_id.startswith(f5_tiny.BUILTIN_PREFIX):
        return "f5-tts"
    if model_id in (KOKORO_BUILTIN, KOKORO_HUB) or (Path(model_id).expanduser() / KOKORO_WEIGHTS).is_file():
        return "kokoro"
    config = Path(model_id).expanduser() / "config.json"
    if config.is_file():
        model_type = json.loads(config.read_text()).get("model_type", "")
        if model_type in MODEL_TYPES:
            return MODEL_TYPES[model_type]
        raise UnknownNameError("model type", model_type, list(MODEL_TYPES))
    return "qwen3-tts"


def load_model(model_id: str, device: torch.device, dtype: torch.dtype):  # noqa: ANN201 - returns an adapter
    """Load a model adapter by id (built-in id, local directory or hub id)."""
    from tts_interp.models.qwen3_tts.adapter import Qwen3TTSAdapter

    family = family_of(model_id)
    if family == "qwen3-tts":
        return Qwen3TTSAdapter.load(model_id, device, dtype)
    if family == "grad-tts":
        from tts_interp.models.gradtts.adapter import GradTTSAdapter

        return GradTTSAdapter.load(model_id, device, dtype)
    if family == "f5-tts":
        from tts_interp.models.f5tts.adapter import F5TTSAdapter

        return F5TTSAdapter.load(model_id, device, dtype)
    if family == "kokoro":
        from tts_interp.models.kokoro.adapter import KokoroAdapter

        return KokoroAdapter.load(model_id, device, dtype)
    raise UnknownNameError("model family", family, sorted(set(MODEL_TYPES.values()) | {"kokoro"}))
