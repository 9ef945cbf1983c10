"""The Grad-TTS adapter: loading a checkpoint directory, prompts (text + speaker), traced sampling, vocoding, sites.

A checkpoint directory holds `config.json` (`"model_type": "grad-tts"`, the GradTTSConfig fields, the weights
file name and the vocoder directory), the state dict exactly as the official release saves it (`grad-tts.pt`,
`grad-tts-libri-tts.pt`), and a HiFi-GAN directory. Time runs from t = 1 (noise) to t = 0 (mel).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from tts_interp.core.errors import BadInputError, OutOfRangeError, TTSInterpError
from tts_interp.models.denoising.family import DenoiserFamily
from tts_interp.models.denoising.settings import DenoiseRequest, SamplerSettings
from tts_interp.models.gradtts import tiny
from tts_interp.models.gradtts.model import GradTTSConfig, GradTTSNetwork
from tts_interp.models.gradtts.text import text_to_ids
from tts_interp.models.gradtts.vocoder import HiFiGANVocoder
from tts_interp.models.hub import checkpoint_dir
from tts_interp.tracing.spec import SegmentMap, SiteSpec, TracedCall

LAYOUT = ("a Grad-TTS checkpoint directory holds config.json (model_type grad-tts and the model's hyper-parameters), "
          "the state dict file it names (default grad-tts.pt) and a HiFi-GAN directory (hifigan/config.json, "
          "hifigan/generator.pt)")


@dataclass
class GradTTSPrompt:
    """A prepared utterance: the symbol ids and the speaker index (multi-speaker models)."""

    request: DenoiseRequest
    tokens: torch.Tensor
    speaker: int | None
    notes: list[str] = field(default_factory=list)

    @property
    def segments(self) -> SegmentMap:
        """No named prompt segments: a denoiser's sites are selected by time (see models/base.py, `run`)."""
        return SegmentMap(())


def load_network(checkpoint: Path, device: torch.device, dtype: torch.dtype) -> tuple[GradTTSNetwork, dict[str, Any]]:
    """Build the network a checkpoint directory describes and load its state dict (strictly)."""
    config_path = checkpoint / "config.json"
    if not config_path.is_file():
        raise TTSInterpError(f"{checkpoint} has no config.json; {LAYOUT}")
    data = json.loads(config_path.read_text())
    if data.get("model_type") != "grad-tts":
        raise TTSInterpError(f"{config_path} has model_type {data.get('model_type')!r}, not 'grad-tts'")
    weights = checkpoint / data.get("weights", tiny.WEIGHTS)
    if not weights.is_file():
        raise TTSInterpError(f"{weights} is missing; {LAYOUT}")
    network = GradTTSNetwork(GradTTSConfig.from_json(data))
    state = torch.load(str(weights), map_location="cpu", weights_only=True)
    hint = "check n_spks, encoder_speaker, dims and layers in config.json"
    try:
        result = network.load_state_dict(state, strict=False)
    except RuntimeError as exc:  # shape mismatches
        mismatches = [line.strip() for line in str(exc).splitlines() if "size mismatch" in line]
        raise TTSInterpError(f"{weights} does not fit the model described by {config_path}: "
                             f"{'; '.join(mismatches[:3])} ({hint})") from None
    if result.missing_keys or result.unexpected_keys:
        raise TTSInterpError(f"{weights} does not fit the model described by {config_path}: missing "
                             f"{result.missing_keys[:5]}, unexpected {result.unexpected_keys[:5]} ({hint})")
    return network.to(device=device, dtype=dtype).eval(), data


class GradTTSAdapter(DenoiserFamily):
    """A loaded Grad-TTS checkpoint behind the denoiser adapter protocol."""

    family = "grad-tts"
    noise_at_t = 1.0  # sampling runs from t = 1 (noise) to t = 0

    def __init__(self, model_id: str, network: GradTTSNetwork, vocoder: HiFiGANVocoder | None, checkpoint: Path):
        self.model_id = model_id
        self.network = network
        self.config = network.config
        self.vocoder = vocoder
        self.checkpoint = checkpoint
        self._sites = self._build_sites()

    @classmethod
    def load(cls, model_id: str, device: torch.device, dtype: torch.dtype) -> GradTTSAdapter:
        """Load a built-in id or a checkpoint directory (local path or hub id)."""
        checkpoint = checkpoint_dir(model_id, tiny.BUILTIN_PREFIX, list(tiny.BUILTINS), tiny.builtin_checkpoint)
        network, data = load_network(checkpoint, device, dtype)
        vocoder = None
        if data.get("vocoder"):
            vocoder = HiFiGANVocoder.load(checkpoint / data["vocoder"]["config"], checkpoint / data["vocoder"]["weights"],
                                          device)
        return cls(model_id, network, vocoder, checkpoint)

    # ------------------------------------------------------------------ description
    @property
    def sample_rate(self) -> int:
        return self.vocoder.sample_rate if self.vocoder is not None else self.config.sample_rate

    @property
    def hop_length(self) -> int:
        return self.config.hop_length

    def speakers(self) -> list[int]:
        return list(range(self.config.n_spks)) if self.config.n_spks > 1 else []

    def describe(self) -> dict[str, Any]:
        return dict(family=self.family, model_id=self.model_id, checkpoint=str(self.checkpoint),
                    n_speakers=self.config.n_spks, decoder_dim=self.config.dec_dim, n_mels=self.config.n_feats,
                    hspace_dim=self._sites["denoiser.hspace"].dim, sample_rate=self.sample_rate,
                    noise_at_t=self.noise_at_t, vocoder="hifigan" if self.vocoder else None,
                    dtype=str(next(self.network.parameters()).dtype).removeprefix("torch."),
                    builtin=self.model_id in tiny.BUILTINS)

    # ------------------------------------------------------------------ sites
    def _build_sites(self) -> dict[str, SiteSpec]:
        c = self.config
        mults = c.dim_mults
        sites: dict[str, SiteSpec] = {}

        def add(name: str, path: str, clock: str, order: int, dim: int, text: str, index: int | None = None,
                channels_first: bool = True) -> None:
            sites[name] = SiteSpec(name, path, clock, order, dim, index, text, channels_first)

        if c.n_spks > 1:
            add("speaker_embedding", "spk_emb", "conditioning", 0, c.spk_emb_dim,
                "the speaker's embedding row (feeds the U-Net, and the text encoder if encoder_speaker)", channels_first=False)
        add("text_encoder.out", "encoder", "conditioning", 1, c.n_feats,
            "text encoder mean mu_x per text symbol (before duration upsampling)", index=0)
        est = "decoder.estimator"
        for i, mult in enumerate(mults):
            add(f"denoiser.down.{i}", f"{est}.downs.{i}.2", "denoiser", i, c.dec_dim * mult * (c.n_feats >> i),
                f"U-Net down block {i} output (the skip connection), rows along time")
        depth = len(mults) - 1
        add("denoiser.hspace", f"{est}.mid_block2", "denoiser", len(mults), c.dec_dim * mults[-1] * (c.n_feats >> depth),
            "U-Net bottleneck after mid_block2 (h-space), rows along time")
        for i in range(depth):
            channels, freq = c.dec_dim * mults[-2 - i], c.n_feats >> (depth - 1 - i)
            add(f"denoiser.up.{i}", f"{est}.ups.{i}.3", "denoiser", len(mults) + 1 + i, channels * freq,
                f"U-Net up block {i} output (after upsampling), rows along time")
        return sites

    def sites(self) -> dict[str, SiteSpec]:
        return self._sites

    # ------------------------------------------------------------------ prompts and sampling
    def prepare(self, request: DenoiseRequest) -> GradTTSPrompt:
        """Validate a request and turn its text into symbol ids."""
        notes: list[str] = []
        tokens = text_to_ids(request.text, self.config.add_blank, self.config.n_vocab)
        speaker = request.speaker
        if self.config.n_spks > 1:
            if speaker is None:
                raise BadInputError(f"{self.model_id} has {self.config.n_spks} speakers; give --speaker "
                                    f"0..{self.config.n_spks - 1}")
            if not 0 <= int(speaker) < self.config.n_spks:
                raise OutOfRangeError("speaker", speaker, f"0..{self.config.n_spks - 1}")
        elif speaker is not None:
            notes.append(f"speaker ignored: {self.model_id} is a single-speaker model")
            speaker = None
        if request.ref_audio:
            notes.append("reference audio ignored: Grad-TTS does not clone voices")
        return GradTTSPrompt(request, tokens, speaker, notes)

    def timesteps(self, settings: SamplerSettings) -> tuple[float, ...]:
        return self.network.timesteps(settings.steps)

    def sampling_call(self, prompt: GradTTSPrompt, settings: SamplerSettings) -> TracedCall:
        """The traced call: encoder once, then one U-Net call per step; its result is a `Sampled`."""
        kwargs = dict(tokens=prompt.tokens, speaker=prompt.speaker, settings=settings)
        return TracedCall(root=self.network, fn=self.network.synthesise, kwargs=kwargs, finish=lambda result: result)

    def vocode(self, mel: torch.Tensor) -> np.ndarray:
        """Mel (80, T) -> waveform at `sample_rate` through HiFi-GAN."""
        if self.vocoder is None:
            raise TTSInterpError(f"{self.checkpoint} has no vocoder; add a HiFi-GAN directory and name it in config.json "
                                 '("vocoder": {"config": ..., "weights": ...})')
        return self.vocoder(mel)
