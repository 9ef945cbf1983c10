"""Reading onnxruntime dynamic-int8 exports: initializers by name, dequantization, LSTM weights in torch's layout.

Shared by the converters of trained weights that reach us only as int8 ONNX (Kokoro-82M, the d-vector speaker
encoder): `w = (q - zero_point) * scale`; ONNX LSTM W [dirs, in, 4h] / R [dirs, h, 4h] / B [dirs, 8h] with gates
i, o, f, c become torch's `weight_ih_l{k}` / `weight_hh_l{k}` / `bias_ih_l{k}` / `bias_hh_l{k}` with gates i, f, g, o.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import torch


class OnnxGraph:
    """An ONNX graph's initializers (as numpy arrays) and nodes."""

    def __init__(self, blob: bytes):
        import onnx
        from onnx import numpy_helper

        graph = onnx.load_from_string(blob).graph
        self.inits: dict[str, np.ndarray] = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
        self.nodes: list[Any] = list(graph.node)

    def dequant(self, weight: str, zero_point: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(q, scale, zero point) of a quantized initializer (its scale is `<base>_scale`), as float32."""
        base = weight.removesuffix("_quantized")
        q = self.inits[weight].astype(np.float32)
        scale = self.inits[base + "_scale"].astype(np.float32)
        zp = self.inits[zero_point].astype(np.float32)
        return q, scale, zp

    def lstm(self, inputs: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """W, R (dequantized, per direction) and B of a DynamicQuantizeLSTM node's inputs."""
        w_q, w_scale, w_zp = self.dequant(inputs[1], inputs[9])
        r_q, r_scale, r_zp = self.dequant(inputs[2], inputs[11])
        w = (w_q - w_zp.reshape(-1, 1, 1) if w_zp.ndim else w_q - w_zp) * w_scale.reshape(-1, 1, 1)
        r = (r_q - r_zp.reshape(-1, 1, 1) if r_zp.ndim else r_q - r_zp) * r_scale.reshape(-1, 1, 1)
        return w, r, self.inits[inputs[3]].astype(np.float32)


def lstm_tensors(module: str, w: np.ndarray, r: np.ndarray, b: np.ndarray, layer: int = 0
                 ) -> Iterator[tuple[str, torch.Tensor]]:
    """ONNX LSTM W [dirs, in, 4h] / R [dirs, h, 4h] / B [dirs, 8h] (gates i,o,f,c) -> torch layer `layer`'s
    tensors (gates i,f,g,o), the second direction as `_reverse`."""
    hidden = r.shape[1]

    def reorder(m: np.ndarray) -> np.ndarray:  # along the first axis of a [4h, ...] array
        i, o, f, c = (m[k * hidden:(k + 1) * hidden] for k in range(4))
        return np.concatenate([i, f, c, o])

    for d in range(w.shape[0]):
        suffix = f"l{layer}" + ("_reverse" if d else "")
        yield f"{module}.weight_ih_{suffix}", torch.from_numpy(reorder(w[d].T).copy())
        yield f"{module}.weight_hh_{suffix}", torch.from_numpy(reorder(r[d].T).copy())
        yield f"{module}.bias_ih_{suffix}", torch.from_numpy(reorder(b[d, :4 * hidden]).copy())
        yield f"{module}.bias_hh_{suffix}", torch.from_numpy(reorder(b[d, 4 * hidden:]).copy())
