"""The table of model families: routing a model id to its family and adapter, in one place.

Each row names a family's built-in id prefixes, the `model_type`s its checkpoints write in config.json, and its
adapter and built-in list as lazy "module:attribute" strings, so listing models or routing an id imports no
family. A built-in id is routed by prefix; a local directory or a hub id by its checkpoint's config.json (a hub
id is resolved through the Hugging Face cache first). Nothing is taken for a family by default.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tts_interp.core.errors import TTSInterpError, UnknownNameError
from tts_interp.models.base import require


@dataclass(frozen=True)
class Family:
    """One model family: its display name, id prefixes, checkpoint model_types, adapter and built-in list."""

    name: str
    display: str
    prefixes: tuple[str, ...]
    model_types: tuple[str, ...]
    adapter: str  # "module:Class"
    builtins: str  # "module:function" returning {built-in id: description}
    marker_files: tuple[str, ...] = ()  # a checkpoint dir holding one of these (and no model_type) is this family


FAMILIES: dict[str, Family] = {}


def register_family(family: Family, exist_ok: bool = False) -> None:
    """Add a family row; a name, prefix or model_type already taken is refused unless `exist_ok`."""
    taken = {p: f.name for f in FAMILIES.values() for p in f.prefixes} | {
        t: f.name for f in FAMILIES.values() for t in f.model_types}
    clash = [k for k in (*family.prefixes, *family.model_types) if taken.get(k, family.name) != family.name]
    if not exist_ok and (family.name in FAMILIES or clash):
        raise ValueError(f"family {family.name!r} clashes with the registered families ({clash or family.name})")
    FAMILIES[family.name] = family


for _row in (
    Family("qwen3-tts", "Qwen3-TTS", ("tiny-qwen3-tts-",), ("qwen3_tts",),
           "tts_interp.models.qwen3_tts.adapter:Qwen3TTSAdapter", "tts_interp.models.qwen3_tts.tiny:builtin_descriptions"),
    Family("grad-tts", "Grad-TTS", ("tiny-grad-tts",), ("grad-tts",),
           "tts_interp.models.gradtts.adapter:GradTTSAdapter", "tts_interp.models.gradtts.tiny:builtin_descriptions"),
    Family("f5-tts", "F5-TTS", ("tiny-f5-tts",), ("f5-tts",),
           "tts_interp.models.f5tts.adapter:F5TTSAdapter", "tts_interp.models.f5tts.tiny:builtin_descriptions"),
    Family("kokoro", "Kokoro-82M", ("kokoro-82m", "hexgrad/Kokoro-82M"), ("kokoro",),
           "tts_interp.models.kokoro.adapter:KokoroAdapter", "tts_interp.models.kokoro.weights:builtin_descriptions",
           ("kokoro-v1_0.pth",)),
    Family("whisper", "Whisper", ("whisper-",), ("whisper",),
           "tts_interp.models.whisper.adapter:WhisperAdapter", "tts_interp.models.whisper.builtin:builtin_descriptions"),
):
    register_family(_row)


def _attribute(reference: str) -> Any:
    module, _, name = reference.partition(":")
    return getattr(importlib.import_module(module), name)


@dataclass(frozen=True)
class BuiltinModel:
    """A built-in model id, its family and a one-line description."""

    model_id: str
    family: str
    description: str


def builtin_models() -> list[BuiltinModel]:
    """Every built-in (tiny, random-weight) model of every family."""
    return [BuiltinModel(model_id, f.name, text) for f in FAMILIES.values()
            for model_id, text in _attribute(f.builtins)().items()]


def _family_of_type(model_type: str, where: str) -> str:
    for family in FAMILIES.values():
        if model_type in family.model_types:
            return family.name
    raise UnknownNameError(f"model type (in {where})", model_type,
                           [t for f in FAMILIES.values() for t in f.model_types])


def family_of(model_id: str) -> str:
    """The family of a model id: by built-in prefix (longest first), else by its checkpoint's config.json.

    A hub id is resolved to its cached (or downloaded) config first; anything else is an unknown model, answered
    with the built-in ids and the hint for checkpoint directories and hub ids.
    """
    prefixes = sorted(((p, f.name) for f in FAMILIES.values() for p in f.prefixes), key=lambda x: -len(x[0]))
    for prefix, name in prefixes:
        if model_id.startswith(prefix):
            return name
    from tts_interp.models.hub import resolve_checkpoint

    directory = resolve_checkpoint(model_id, [m.model_id for m in builtin_models()], allow_patterns=["config.json"])
    config = Path(directory) / "config.json"
    model_type = str(json.loads(config.read_text()).get("model_type", "")) if config.is_file() else ""
    if not model_type:  # checkpoints that name no model_type (Kokoro's original release) by their weights file
        for family in FAMILIES.values():
            if any((Path(directory) / marker).is_file() for marker in family.marker_files):
                return family.name
    if not config.is_file():
        raise TTSInterpError(f"{directory} has no config.json, so its model family is unknown")
    return _family_of_type(model_type, str(config))


def adapter_class(family: str) -> Any:
    """The adapter class of a family (imported on first use)."""
    if family not in FAMILIES:
        raise UnknownNameError("model family", family, list(FAMILIES))
    return _attribute(FAMILIES[family].adapter)


def families_with(*needs: str) -> list[str]:
    """Display names of the families whose adapters declare every capability in `needs`."""
    return [f.display for f in FAMILIES.values() if all(n in adapter_class(f.name).capabilities for n in needs)]


def check_capabilities(model_id: str, needs: tuple[str, ...]) -> Any:
    """The adapter class of a model id, after refusing (in one line, nothing loaded) a family lacking `needs`."""
    cls = adapter_class(family_of(model_id))
    if any(n not in cls.capabilities for n in needs):
        require(cls, *needs, model_id=model_id, able=", ".join(families_with(*needs)))
    return cls


def load_model(model_id: str, device: Any, dtype: Any, needs: tuple[str, ...] = ()) -> Any:
    """Load a model adapter by id (built-in id, local directory or hub id), refusing one that lacks `needs`
    before anything is loaded."""
    return check_capabilities(model_id, needs).load(model_id, device, dtype)
