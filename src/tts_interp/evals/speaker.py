"""Speaker-verification backends behind one interface: `resemblyzer` and `dvector` (offline), `ecapa`, `wavlm-sv`.

Each backend takes 16 kHz mono clips, checks each is long enough to embed (`prepare`), and embeds a batch
in one forward pass (`embed`), returning unit-length rows. `ecapa` and `wavlm-sv` load their weights from a
local directory or the Hugging Face cache; where they cannot be had, loading fails with one message naming
the model, the cache looked in and how to get it.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Protocol

import numpy as np
import torch

from tts_interp.core.errors import BadInputError, UnknownNameError
from tts_interp.evals.metrics import unit

SAMPLE_RATE = 16_000
SPEAKER_BACKENDS = ("resemblyzer", "dvector", "ecapa", "wavlm-sv")
DEFAULT_MODELS = {"ecapa": "speechbrain/spkrec-ecapa-voxceleb", "wavlm-sv": "microsoft/wavlm-base-plus-sv"}
OFFLINE_HINT = ["--speaker resemblyzer (its weights ship in its wheel)"]


class SpeakerBackend(Protocol):
    """A speaker encoder: 16 kHz clips in, one unit-length embedding per clip out."""

    name: str
    key: str  # names model + version: the embedding cache is per key

    def prepare(self, samples: np.ndarray) -> np.ndarray:
        """Backend-specific preprocessing; raises BadInputError if the clip is too short to embed."""

    def embed(self, clips: list[np.ndarray]) -> np.ndarray:
        """Embed prepared clips in one batch: (len(clips), dim), unit rows."""

    def describe(self) -> dict:
        """Name, model, package version and device, for result.json."""


def _require_seconds(samples: np.ndarray, min_seconds: float, backend: str, what: str) -> np.ndarray:
    seconds = len(samples) / SAMPLE_RATE
    if seconds < min_seconds:
        raise BadInputError(f"clip has {seconds:.2f} s of {what}; the {backend} verifier needs at least "
                            f"{min_seconds} s")
    return samples


class ResemblyzerBackend:
    """GE2E LSTM from `resemblyzer` (256-d; weights in the wheel): partial 1.6-s windows, averaged.

    Batching stacks the partial windows of every clip into one LSTM pass, then averages per clip exactly
    as `VoiceEncoder.embed_utterance` does.
    """

    name = "resemblyzer"
    min_speech_seconds = 0.5
    rate, min_coverage = 1.3, 0.75  # embed_utterance's defaults

    def __init__(self, device: torch.device):
        from resemblyzer import VoiceEncoder

        self.device = device
        self.encoder = VoiceEncoder(device=device, verbose=False)
        self.key = f"resemblyzer-{version('resemblyzer')}"

    def prepare(self, samples: np.ndarray) -> np.ndarray:
        from resemblyzer import preprocess_wav

        speech = preprocess_wav(samples, SAMPLE_RATE)  # volume normalisation + long-silence trimming (VAD)
        return _require_seconds(speech, self.min_speech_seconds, self.name, "speech after silence trimming")

    def embed(self, clips: list[np.ndarray]) -> np.ndarray:
        from resemblyzer.audio import wav_to_mel_spectrogram

        partials, owners = [], []
        for i, wav in enumerate(clips):
            wav_slices, mel_slices = self.encoder.compute_partial_slices(len(wav), self.rate, self.min_coverage)
            padded = np.pad(wav, (0, max(0, wav_slices[-1].stop - len(wav))))
            mel = wav_to_mel_spectrogram(padded)
            partials.extend(mel[s] for s in mel_slices)
            owners.extend([i] * len(mel_slices))
        with torch.no_grad():
            batch = torch.from_numpy(np.stack(partials)).to(self.device)
            partial_embeds = self.encoder(batch).cpu().numpy()
        owner_ids = np.asarray(owners)
        return np.stack([unit(partial_embeds[owner_ids == i].mean(axis=0)) for i in range(len(clips))])

    def describe(self) -> dict:
        return {"name": self.name, "model": "resemblyzer pretrained GE2E (in the wheel)", "version": self.key,
                "device": str(self.device)}


def _padded_batch(clips: list[np.ndarray], device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Zero-pad clips to one tensor; also return each clip's length relative to the longest."""
    longest = max(len(c) for c in clips)
    batch = np.zeros((len(clips), longest), dtype=np.float32)
    for i, clip in enumerate(clips):
        batch[i, : len(clip)] = clip
    lengths = torch.tensor([len(c) / longest for c in clips], dtype=torch.float32)
    return torch.from_numpy(batch).to(device), lengths.to(device)


class EcapaBackend:
    """speechbrain ECAPA-TDNN (VoxCeleb, 192-d), the VoicePrivacy / Seed-TTS-style verifier."""

    name = "ecapa"
    min_seconds = 0.5

    def __init__(self, device: torch.device, model: str | None = None):
        from tts_interp.core.compat import ensure_torchaudio
        from tts_interp.core.paths import cache_dir
        from tts_interp.models.hub import resolve_checkpoint

        self.model_ref = model or DEFAULT_MODELS["ecapa"]
        local = resolve_checkpoint(self.model_ref, OFFLINE_HINT)
        ensure_torchaudio()
        from speechbrain.inference.speaker import EncoderClassifier

        self.device = device
        self.encoder = EncoderClassifier.from_hparams(source=str(local), savedir=str(cache_dir() / "speechbrain"
                                                                                    / local.name),
                                                      run_opts={"device": str(device)})
        self.key = f"ecapa-{self.model_ref}-speechbrain-{version('speechbrain')}"

    def prepare(self, samples: np.ndarray) -> np.ndarray:
        return _require_seconds(samples, self.min_seconds, self.name, "audio")

    def embed(self, clips: list[np.ndarray]) -> np.ndarray:
        batch, lengths = _padded_batch(clips, self.device)
        with torch.no_grad():
            embeddings = self.encoder.encode_batch(batch, lengths).squeeze(1).cpu().numpy()
        return unit(embeddings)

    def describe(self) -> dict:
        return {"name": self.name, "model": self.model_ref, "version": self.key, "device": str(self.device)}


class WavLMBackend:
    """transformers WavLM + x-vector head (microsoft/wavlm-base-plus-sv, 512-d)."""

    name = "wavlm-sv"
    min_seconds = 0.5

    def __init__(self, device: torch.device, model: str | None = None):
        from transformers import AutoFeatureExtractor, WavLMForXVector

        from tts_interp.models.hub import resolve_checkpoint

        self.model_ref = model or DEFAULT_MODELS["wavlm-sv"]
        local = resolve_checkpoint(self.model_ref, OFFLINE_HINT)
        self.device = device
        self.extractor = AutoFeatureExtractor.from_pretrained(str(local))
        self.model = WavLMForXVector.from_pretrained(str(local)).to(device).eval()
        self.key = f"wavlm-sv-{self.model_ref}-transformers-{version('transformers')}"

    def prepare(self, samples: np.ndarray) -> np.ndarray:
        return _require_seconds(samples, self.min_seconds, self.name, "audio")

    def embed(self, clips: list[np.ndarray]) -> np.ndarray:
        inputs = self.extractor(clips, sampling_rate=SAMPLE_RATE, padding=True, return_attention_mask=True,
                                return_tensors="pt").to(self.device)
        with torch.no_grad():
            embeddings = self.model(**inputs).embeddings.cpu().numpy()
        return unit(embeddings)

    def describe(self) -> dict:
        return {"name": self.name, "model": self.model_ref, "version": self.key, "device": str(self.device)}


def load_speaker_backend(name: str, device: torch.device, model: str | None = None) -> SpeakerBackend:
    """The speaker backend called `name` on `device` (model: a local dir or hub id for ecapa / wavlm-sv)."""
    if name == "resemblyzer":
        if model is not None:
            raise BadInputError(f"the resemblyzer backend has one built-in model; got --speaker-model {model!r}")
        return ResemblyzerBackend(device)
    if name == "dvector":
        if model is not None:
            raise BadInputError(f"the dvector backend has one built-in model; got --speaker-model {model!r}")
        from tts_interp.evals.dvector import DVectorBackend

        return DVectorBackend(device)
    if name == "ecapa":
        return EcapaBackend(device, model)
    if name == "wavlm-sv":
        return WavLMBackend(device, model)
    raise UnknownNameError("speaker backend", name, SPEAKER_BACKENDS)
