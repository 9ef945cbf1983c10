"""The F5-TTS adapter: checkpoint loading, voice-clone prompts, the traced ODE sampler, Vocos, sites.

A checkpoint directory holds `config.json` (`"model_type": "f5-tts"`; `"arch"`: the DiT arguments, or
`"preset"`: a config name shipped in the f5-tts wheel such as `F5TTS_v1_Base`; `"mel_spec"`; the weights,
vocab and vocoder names), the released weights (`model_1250000.safetensors` / `.pt`, EMA keys under
`ema_model.`), `vocab.txt` and a Vocos directory (`config.yaml`, `pytorch_model.bin`).

Sampling follows upstream `CFM.sample` for one utterance (Euler steps on the EPSS or uniform grid, sway
sampling, classifier-free guidance in one batched DiT call), in our own loop so every DiT call is one traced
step at a known t. Time runs from t = 0 (noise) to t = 1 (mel). Denoiser sites read and write the
conditional half of the guided batch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from tts_interp.core.audio import load_audio
from tts_interp.core.errors import BadInputError, TTSInterpError, UnknownNameError
from tts_interp.models.denoising.family import DenoiserFamily
from tts_interp.models.denoising.settings import DenoiseRequest, Sampled, SamplerSettings
from tts_interp.models.f5tts import tiny
from tts_interp.models.f5tts.upstream import configs_dir, import_f5_tts
from tts_interp.models.hub import checkpoint_dir
from tts_interp.tracing.spec import SegmentMap, SiteSpec, TracedCall

TARGET_RMS = 0.1  # upstream normalises quiet references to this RMS and scales the output back
MAX_REF_SECONDS = 30.0
LAYOUT = ("an F5-TTS checkpoint directory holds config.json (model_type f5-tts, arch or preset, mel_spec), the "
          "weights file it names, vocab.txt and a Vocos directory (config.yaml, pytorch_model.bin)")


@dataclass
class F5Prompt:
    """A prepared voice-clone utterance: reference mel, text ids (reference + new text) and target length."""

    request: DenoiseRequest
    cond: torch.Tensor  # (1, N_ref, n_mels)
    text_ids: torch.Tensor  # (1, n_text)
    generated_frames: float  # estimated at speed 1: reference frames per text byte x new text bytes
    ref_frames: int
    rms: float
    notes: list[str] = field(default_factory=list)

    @property
    def segments(self) -> SegmentMap:
        """No named prompt segments: a denoiser's sites are selected by time (see models/base.py, `run`)."""
        return SegmentMap(())


def _state_dict(path: Path) -> dict[str, torch.Tensor]:
    """The model state dict of a released checkpoint (EMA weights, `ema_model.` stripped) or a plain one."""
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        raw: dict[str, Any] = load_file(str(path))
    else:
        raw = torch.load(str(path), map_location="cpu", weights_only=True)
    if "ema_model_state_dict" in raw:
        raw = raw["ema_model_state_dict"]
    elif "model_state_dict" in raw:
        raw = raw["model_state_dict"]
    state = {k.removeprefix("ema_model."): v for k, v in raw.items() if k not in ("initted", "step")}
    for key in ("mel_spec.mel_stft.mel_scale.fb", "mel_spec.mel_stft.spectrogram.window"):
        state.pop(key, None)  # upstream drops these for backward compatibility
    return state


def _arch(data: dict[str, Any]) -> dict[str, Any]:
    if "arch" in data:
        return dict(data["arch"])
    if "preset" in data:
        import yaml

        path = configs_dir() / f"{data['preset']}.yaml"
        if not path.is_file():
            presets = sorted(p.stem for p in configs_dir().glob("*.yaml"))
            raise UnknownNameError("F5-TTS preset", data["preset"], presets)
        model = yaml.safe_load(path.read_text())["model"]
        if model.get("backbone") != "DiT":
            raise TTSInterpError(f"preset {data['preset']} uses the {model.get('backbone')} backbone; tts-interp's "
                                 "F5-TTS adapter runs DiT presets (F5TTS_*)")
        arch = dict(model["arch"])
        arch.pop("attn_backend", None)
        arch.pop("checkpoint_activations", None)
        return arch
    raise TTSInterpError("config.json needs either 'arch' (DiT arguments) or 'preset' (e.g. F5TTS_v1_Base)")


class F5TTSAdapter(DenoiserFamily):
    """A loaded F5-TTS checkpoint behind the denoiser adapter protocol."""

    family = "f5-tts"
    noise_at_t = 0.0  # sampling runs from t = 0 (noise) to t = 1

    def __init__(self, model_id: str, model: torch.nn.Module, vocab: dict[str, int], vocoder: Any, mel: dict[str, Any],
                 checkpoint: Path):
        self.model_id = model_id
        self.model = model
        self.vocab = vocab
        self.vocoder = vocoder
        self.mel = mel
        self.checkpoint = checkpoint
        self.transformer = model.transformer
        self._sites = self._build_sites()

    @classmethod
    def load(cls, model_id: str, device: torch.device, dtype: torch.dtype) -> F5TTSAdapter:
        """Load a built-in id or a checkpoint directory (local path or hub id)."""
        import_f5_tts()
        from f5_tts.model.backbones.dit import DiT
        from f5_tts.model.cfm import CFM

        checkpoint = checkpoint_dir(model_id, tiny.BUILTIN_PREFIX, list(tiny.BUILTINS), tiny.builtin_checkpoint)
        config_path = checkpoint / "config.json"
        if not config_path.is_file():
            raise TTSInterpError(f"{checkpoint} has no config.json; {LAYOUT}")
        data = json.loads(config_path.read_text())
        files = {name: checkpoint / data.get(name, default) for name, default in
                 (("weights", "model.safetensors"), ("vocab", "vocab.txt"), ("vocoder", "vocos"))}
        for name, path in files.items():
            if not path.exists():
                raise TTSInterpError(f"{path} ({name}) is missing; {LAYOUT}")
        symbols = files["vocab"].read_text(encoding="utf-8").split("\n")
        vocab = {s: i for i, s in enumerate(symbols[:-1] if symbols[-1] == "" else symbols)}
        mel = dict(tiny.MEL, **data.get("mel_spec", {}))
        transformer = DiT(**_arch(data), text_num_embeds=len(vocab), mel_dim=mel["n_mel_channels"])
        model = CFM(transformer=transformer, mel_spec_kwargs=mel, vocab_char_map=vocab)
        result = model.load_state_dict(_state_dict(files["weights"]), strict=False)
        if result.missing_keys or result.unexpected_keys:
            raise TTSInterpError(f"{files['weights']} does not fit the model described by {config_path}: missing "
                                 f"{result.missing_keys[:5]}, unexpected {result.unexpected_keys[:5]}")
        vocoder = _load_vocos(files["vocoder"], device)
        return cls(model_id, model.to(device=device, dtype=dtype).eval(), vocab, vocoder, mel, checkpoint)

    # ------------------------------------------------------------------ description
    @property
    def sample_rate(self) -> int:
        return int(self.mel["target_sample_rate"])

    @property
    def hop_length(self) -> int:
        return int(self.mel["hop_length"])

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    def describe(self) -> dict[str, Any]:
        return dict(family=self.family, model_id=self.model_id, checkpoint=str(self.checkpoint),
                    dit_dim=int(self.transformer.dim), dit_depth=int(self.transformer.depth),
                    hspace_block=self.hspace_block, n_mels=int(self.mel["n_mel_channels"]),
                    vocab_size=len(self.vocab), sample_rate=self.sample_rate, noise_at_t=self.noise_at_t,
                    vocoder="vocos", dtype=str(next(self.model.parameters()).dtype).removeprefix("torch."),
                    builtin=self.model_id in tiny.BUILTINS)

    # ------------------------------------------------------------------ sites
    @property
    def hspace_block(self) -> int:
        """F5's DiT has no bottleneck; its h-space is taken at the middle block's output."""
        return int(self.transformer.depth) // 2 - 1

    def _build_sites(self) -> dict[str, SiteSpec]:
        dim = int(self.transformer.dim)
        sites: dict[str, SiteSpec] = {}
        text_dim = int(self.transformer.text_embed.text_embed.embedding_dim)
        sites["text_encoder.out"] = SiteSpec("text_encoder.out", "transformer.text_embed", "conditioning", 0, text_dim,
                                             None, "text embedding per mel frame (conditional pass, cached)")
        for k in range(int(self.transformer.depth)):
            name = f"denoiser.block.{k}.out"
            sites[name] = SiteSpec(name, f"transformer.transformer_blocks.{k}", "denoiser", k, dim, None,
                                   f"DiT block {k} output, one row per mel frame (conditional pass)")
        middle = sites[f"denoiser.block.{self.hspace_block}.out"]
        sites["denoiser.hspace"] = SiteSpec("denoiser.hspace", middle.module_path, "denoiser", middle.order, dim, None,
                                            f"h-space: the middle DiT block ({self.hspace_block}) output")
        return sites

    def sites(self) -> dict[str, SiteSpec]:
        return self._sites

    # ------------------------------------------------------------------ prompts and sampling
    def prepare(self, request: DenoiseRequest) -> F5Prompt:
        """Load and check the reference clip, build the text ids and the target length (as upstream infers)."""
        import_f5_tts()
        from f5_tts.model.utils import convert_char_to_pinyin, list_str_to_idx

        notes: list[str] = []
        if not request.text or not request.text.strip():
            raise BadInputError("text is empty; give the words to speak with --text")
        if not request.ref_audio:
            raise BadInputError(f"{self.model_id} clones a voice: give --ref-audio and --ref-text")
        ref_text = (request.ref_text or "").strip()
        if not ref_text:
            raise BadInputError("--ref-text (the transcript of --ref-audio) is empty; F5-TTS needs it to clone")
        if request.speaker is not None:
            notes.append("speaker ignored: F5-TTS takes its voice from the reference audio")
        audio = load_audio(request.ref_audio, self.sample_rate, min_seconds=0.5)
        if audio.seconds > MAX_REF_SECONDS:
            raise BadInputError(f"reference audio {request.ref_audio} is {audio.seconds:.1f} s long; use at most "
                                f"{MAX_REF_SECONDS:.0f} s (upstream clips references to about 12 s)")
        samples = torch.from_numpy(audio.samples)[None]
        rms = float(torch.sqrt(torch.mean(samples**2)))
        if rms < TARGET_RMS:
            samples = samples * TARGET_RMS / rms
        if not ref_text.endswith((". ", "。")):
            ref_text = ref_text + (" " if ref_text.endswith(".") else ". ")
        text = request.text.strip()
        chars = convert_char_to_pinyin([ref_text + text])
        text_ids = list_str_to_idx(chars, self.vocab)
        unknown = sorted({c for c in chars[0] if c not in self.vocab})
        if unknown:
            notes.append(f"symbols not in the vocabulary (read as id 0): {''.join(unknown)[:40]}")
        with torch.no_grad():
            cond = self.model.mel_spec(samples.to(self.device)).permute(0, 2, 1)
        ref_frames = int(samples.shape[-1] // self.hop_length)
        cond = cond[:, :ref_frames] if cond.shape[1] > ref_frames else cond
        ref_bytes = len(ref_text.encode("utf-8"))
        generated = ref_frames / ref_bytes * len(text.encode("utf-8"))
        return F5Prompt(request, cond, text_ids, generated, ref_frames, rms, notes)

    def timesteps(self, settings: SamplerSettings) -> tuple[float, ...]:
        """The time of each Euler step's DiT call (the grid without its end point), noise at 0."""
        return tuple(float(t) for t in self._grid(settings)[:-1])

    def _grid(self, settings: SamplerSettings) -> torch.Tensor:
        import_f5_tts()
        from f5_tts.model.utils import get_epss_timesteps

        grid = get_epss_timesteps(settings.steps, device="cpu", dtype=torch.float32)
        if settings.sway is not None:
            grid = grid + settings.sway * (torch.cos(torch.pi / 2 * grid) - 1 + grid)
        return grid

    def sampling_call(self, prompt: F5Prompt, settings: SamplerSettings) -> TracedCall:
        """The traced call: text embedding once, then one guided DiT call per Euler step; returns `Sampled`."""
        return TracedCall(root=self.model, fn=self._sample, kwargs=dict(prompt=prompt, settings=settings),
                          finish=lambda result: result)

    @torch.no_grad()
    def _sample(self, prompt: F5Prompt, settings: SamplerSettings) -> Sampled:
        dtype = next(self.model.parameters()).dtype
        cond = prompt.cond.to(dtype)
        ref_frames = int(cond.shape[1])
        text = prompt.text_ids.to(self.device)
        duration = max(ref_frames + int(prompt.generated_frames / settings.speed),
                       max(int((text != -1).sum()), ref_frames) + 1)
        cond = F.pad(cond, (0, 0, 0, duration - ref_frames))
        cond_mask = (torch.arange(duration, device=self.device) < ref_frames)[None, :, None]
        step_cond = torch.where(cond_mask, cond, torch.zeros_like(cond))
        generator = torch.Generator(device="cpu").manual_seed(settings.seed)
        y = torch.randn(duration, cond.shape[-1], generator=generator).to(self.device, dtype)[None]
        grid = self._grid(settings).to(self.device, dtype)
        trajectory = [y[0].float().cpu()]
        for i in range(settings.steps):
            t = grid[i]
            if settings.cfg_strength < 1e-5:
                flow = self.transformer(x=y, cond=step_cond, text=text, time=t, mask=None, drop_audio_cond=False,
                                        drop_text=False, cache=True)
            else:
                both = self.transformer(x=y, cond=step_cond, text=text, time=t, mask=None, cfg_infer=True, cache=True)
                pred, null = torch.chunk(both, 2, dim=0)
                flow = pred + (pred - null) * settings.cfg_strength
            y = y + (grid[i + 1] - t) * flow
            trajectory.append(y[0].float().cpu())
        self.transformer.clear_cache()
        out = torch.where(cond_mask, cond, y)
        mel = out[0, ref_frames:].float().cpu().T.contiguous()
        gain = prompt.rms / TARGET_RMS if prompt.rms < TARGET_RMS else 1.0
        return Sampled(mel, torch.stack(trajectory).transpose(1, 2), tuple(float(t) for t in grid[:-1]),
                       audio_gain=gain)

    def vocode(self, mel: torch.Tensor) -> np.ndarray:
        """Mel (100, T) -> 24 kHz waveform through Vocos."""
        with torch.no_grad():
            wave = self.vocoder.decode(mel.to(self.device, torch.float32)[None])
        return wave.reshape(-1).cpu().numpy().astype(np.float32)


def _load_vocos(directory: Path, device: torch.device) -> Any:
    """Vocos from a local directory (config.yaml + pytorch_model.bin), as upstream's offline loader does."""
    from vocos import Vocos

    config, weights = directory / "config.yaml", directory / "pytorch_model.bin"
    for path in (config, weights):
        if not path.is_file():
            raise TTSInterpError(f"Vocos file {path} is missing (a Vocos directory holds config.yaml and "
                                 "pytorch_model.bin, as charactr/vocos-mel-24khz)")
    vocos = Vocos.from_hparams(str(config))
    vocos.load_state_dict(torch.load(str(weights), map_location="cpu", weights_only=True))
    return vocos.to(device).eval()

