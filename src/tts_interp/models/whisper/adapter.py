"""The Whisper family: transformers' `WhisperForConditionalGeneration` with named encoder sites.

Loads the built-in `whisper-tiny.en` (real weights converted offline, see builtin.py), a local checkpoint
directory, or a hub id (`openai/whisper-*`) through the Hugging Face cache. Encoder sites are read and edited
under one nnsight trace of the encoder; the decoder then runs greedy on the (possibly edited) encoder output,
so an edit of any encoder frame reaches every decoding step.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import torch

from tts_interp.core.errors import BadInputError
from tts_interp.models.builtin_cache import STAMP_FILE
from tts_interp.models.whisper import builtin
from tts_interp.models.whisper.clocks import CLOCKS, PHASES
from tts_interp.models.whisper.sites import ENCODER_CLOCK, valid_frames, whisper_sites
from tts_interp.tracing.sites import resolve_site
from tts_interp.tracing.spec import SiteSpec

SAMPLE_RATE = 16_000
HUB_IDS = ["openai/whisper-tiny.en", "openai/whisper-base.en", "openai/whisper-small.en", "openai/whisper-medium.en",
           "openai/whisper-tiny", "openai/whisper-base", "openai/whisper-small", "openai/whisper-medium",
           "openai/whisper-large-v3"]
# Encoder/decoder sizes of the released checkpoints (d_model, layers, heads, ffn), for random-weight runs that
# measure speed and memory of larger sizes without their weights; all take 80 mel bins (not large-v3's 128).
RANDOM_SIZES = {"tiny": (384, 4, 6, 1536), "base": (512, 6, 8, 2048), "small": (768, 12, 12, 3072),
                "medium": (1024, 24, 16, 4096), "large": (1280, 32, 20, 5120)}
EncoderEdit = Callable[[torch.Tensor], torch.Tensor]  # (B, T, D) activation -> replacement, same shape


def _envoy(root: Any, path: str) -> Any:
    node = root
    for part in path.split("."):
        node = node[int(part)] if part.isdigit() else getattr(node, part)
    return node


class WhisperAdapter:
    """One loaded Whisper model: sites, log-mel features, traced encoder, greedy transcription."""

    family = "whisper"
    capabilities = frozenset({"transcribe"})
    clocks = CLOCKS
    phases = PHASES
    sample_rate = SAMPLE_RATE

    def __init__(self, model_id: str, model: Any, processor: Any, device: torch.device, provenance: dict):
        self.model_id, self.model, self.processor, self.device = model_id, model, processor, device
        self.provenance = provenance
        config = model.config
        self._sites = whisper_sites(config.encoder_layers, config.decoder_layers, config.d_model,
                                    config.encoder_ffn_dim)
        self.window_frames = config.max_source_positions
        self._traced = None

    @classmethod
    def load(cls, model_id: str, device: torch.device | None = None, dtype: torch.dtype = torch.float32,
             ) -> WhisperAdapter:
        """Load the built-in id, a local checkpoint directory or a hub id (through the Hugging Face cache)."""
        from transformers import WhisperForConditionalGeneration, WhisperProcessor

        from tts_interp.models.hub import resolve_checkpoint

        device = device or torch.device("cpu")
        local = builtin.builtin_dir() if model_id == builtin.BUILTIN_ID else resolve_checkpoint(
            model_id, [builtin.BUILTIN_ID] + HUB_IDS)
        if not (Path(local) / "preprocessor_config.json").is_file():
            raise BadInputError(f"{model_id}: {local} is not a Whisper checkpoint (no preprocessor_config.json)")
        processor = WhisperProcessor.from_pretrained(str(local))
        model = WhisperForConditionalGeneration.from_pretrained(str(local), dtype=dtype).to(device).eval()
        stamp = Path(local) / STAMP_FILE
        provenance = {"model_id": model_id, "checkpoint": str(local), "weights": "trained",
                      "transformers": version("transformers"),
                      **(json.loads(stamp.read_text()) if stamp.is_file() else {"source": "Hugging Face cache / local"})}
        return cls(model_id, model, processor, device, provenance)

    @classmethod
    def random(cls, size: str, device: torch.device | None = None, dtype: torch.dtype = torch.float32,
               ) -> WhisperAdapter:
        """`whisper-{size}` with random weights (seed 0) and tiny.en's tokenizer: speed and memory only."""
        from transformers import WhisperConfig, WhisperForConditionalGeneration, WhisperProcessor

        from tts_interp.core.errors import UnknownNameError

        if size not in RANDOM_SIZES:
            raise UnknownNameError("random Whisper size", size, RANDOM_SIZES)
        d_model, layers, heads, ffn = RANDOM_SIZES[size]
        local = builtin.builtin_dir()
        base = WhisperConfig.from_pretrained(local)
        config = WhisperConfig(**{**base.to_dict(), "d_model": d_model, "encoder_layers": layers,
                                  "decoder_layers": layers, "encoder_attention_heads": heads,
                                  "decoder_attention_heads": heads, "encoder_ffn_dim": ffn, "decoder_ffn_dim": ffn})
        torch.manual_seed(0)
        model = WhisperForConditionalGeneration(config).to(device=device or torch.device("cpu"), dtype=dtype).eval()
        provenance = {"model_id": f"random-whisper-{size}", "weights": "random",
                      "note": "random weights (seed 0): for speed and memory only, never a finding"}
        return cls(f"random-whisper-{size}", model, WhisperProcessor.from_pretrained(str(local)),
                   device or torch.device("cpu"), provenance)

    def sites(self) -> dict[str, SiteSpec]:
        return dict(self._sites)

    def site(self, name: str) -> SiteSpec:
        """One site by exact name, or a clear error listing the valid ones."""
        specs = resolve_site(self._sites, name)
        if len(specs) != 1:
            raise BadInputError(f"site {name!r} names {len(specs)} sites; give one (e.g. {specs[0].name})")
        return specs[0]

    def describe(self) -> dict[str, Any]:
        config = self.model.config
        return {"family": self.family, "model_id": self.model_id, "device": str(self.device),
                "dtype": str(self.model.dtype), "d_model": config.d_model, "encoder_layers": config.encoder_layers,
                "decoder_layers": config.decoder_layers, "ffn_dim": config.encoder_ffn_dim,
                "provenance": self.provenance}

    def features(self, clips: Sequence[np.ndarray]) -> tuple[torch.Tensor, list[int]]:
        """Log-mel features of 16 kHz clips, padded to the 30 s window, and each clip's valid encoder frames."""
        too_long = [i for i, c in enumerate(clips) if len(c) > 30 * SAMPLE_RATE]
        if too_long:
            raise BadInputError(f"clips {too_long} are longer than Whisper's 30 s window; cut them first")
        inputs = self.processor.feature_extractor(list(clips), sampling_rate=SAMPLE_RATE, return_tensors="pt")
        valid = [valid_frames(len(c), SAMPLE_RATE, self.window_frames) for c in clips]
        return inputs.input_features.to(self.device, dtype=self.model.dtype), valid

    def run_encoder(self, features: torch.Tensor, reads: Sequence[str] = (),
                    edits: dict[str, EncoderEdit] | None = None) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Encoder output (B, T, D) and the activations of `reads`, with `edits` applied at their sites.

        With no reads and no edits the encoder runs untraced.
        """
        edits = edits or {}
        specs = {name: self.site(name) for name in [*reads, *edits]}
        wrong = [n for n, s in specs.items() if s.clock != ENCODER_CLOCK]
        if wrong:
            raise BadInputError(f"sites {wrong} are decoder sites; reads and edits here take encoder sites")
        encoder = self.model.model.encoder
        with torch.no_grad():
            if not specs:
                return encoder(features).last_hidden_state, {}
            if self._traced is None:
                from nnsight import NNsight

                self._traced = NNsight(encoder)
            saved: dict[str, Any] = {}
            with self._traced.trace(features):
                for name, spec in sorted(specs.items(), key=lambda item: item[1].order):
                    envoy = _envoy(self._traced, spec.module_path.removeprefix("encoder."))
                    if spec.module_path == "encoder.layer_norm":
                        envoy = self._traced.layer_norm
                    if name in edits:
                        if spec.output_index is None:
                            envoy.output = edits[name](envoy.output)
                        else:
                            envoy.output[spec.output_index][:] = edits[name](envoy.output[spec.output_index])
                    if name in reads:
                        value = envoy.output if spec.output_index is None else envoy.output[spec.output_index]
                        saved[name] = value.clone().save()
                hidden = self._traced.output.last_hidden_state.save()
        return hidden, dict(saved)

    def run_decoder(self, hidden: torch.Tensor, tokens: list[int], reads: Sequence[str]) -> dict[str, torch.Tensor]:
        """Decoder sites over one teacher-forced transcript: row s is decoder step s (the step that reads the
        s-th token of `[<|startoftranscript|>, <|notimestamps|>, *tokens]` and predicts the next)."""
        from nnsight import NNsight

        specs = [self.site(name) for name in reads]
        if any(spec.clock == ENCODER_CLOCK for spec in specs):
            raise BadInputError(f"run_decoder reads decoder sites; got {list(reads)}")
        ids = torch.tensor([[builtin.SOT, builtin.NO_TIMESTAMPS, *tokens]], device=self.device)
        decoder = NNsight(self.model.model.decoder)
        saved = {}
        with torch.no_grad(), decoder.trace(input_ids=ids, encoder_hidden_states=hidden[:1], use_cache=False):
            for spec in sorted(specs, key=lambda s: s.order):
                envoy = decoder.layer_norm if spec.module_path == "decoder.layer_norm" else _envoy(
                    decoder, spec.module_path.removeprefix("decoder."))
                value = envoy.output if spec.output_index is None else envoy.output[spec.output_index]
                saved[spec.name] = value.clone().save()
        return dict(saved)

    def greedy(self, hidden: torch.Tensor) -> list[list[int]]:
        """Greedy token ids (no special tokens) decoded from encoder outputs (B, T, D)."""
        from transformers.modeling_outputs import BaseModelOutput

        with torch.no_grad():
            ids = self.model.generate(encoder_outputs=BaseModelOutput(last_hidden_state=hidden), num_beams=1,
                                      do_sample=False)
        special = set(self.processor.tokenizer.all_special_ids)
        return [[int(t) for t in row if int(t) not in special and int(t) < 50257] for row in ids]

    def transcribe(self, clips: Sequence[np.ndarray], edits: dict[str, EncoderEdit] | None = None,
                   ) -> tuple[list[str], list[list[int]]]:
        """Greedy transcripts and their token ids, with `edits` applied at encoder sites."""
        features, _ = self.features(clips)
        hidden, _ = self.run_encoder(features, edits=edits)
        tokens = self.greedy(hidden)
        texts = self.processor.tokenizer.batch_decode(tokens, skip_special_tokens=True)
        return [t.strip() for t in texts], tokens
