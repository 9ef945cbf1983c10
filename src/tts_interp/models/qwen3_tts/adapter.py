"""The Qwen3-TTS adapter: loading, prompts for all three variants, generation, teacher forcing, decoding, sites.

Everything runs through the upstream `qwen_tts` classes. Two pieces are this adapter's own, each checked by a
test against upstream behaviour: replaying the captured `talker.generate` call (plus upstream's few lines that
stack the per-step codes and cut at EOS), and the teacher-forced frame inputs (the sum of a frame's 16 code
embeddings plus the trailing text, as upstream's talker decode step builds them).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch

from tts_interp.core.audio import load_audio
from tts_interp.core.errors import BadInputError, TTSInterpError, UnknownNameError
from tts_interp.models.hub import checkpoint_dir
from tts_interp.models.qwen3_tts import tiny
from tts_interp.models.qwen3_tts.clocks import CLOCKS, PHASES
from tts_interp.models.qwen3_tts.forcing import CODEBOOKS, teacher_forced_forward
from tts_interp.models.qwen3_tts.hook import Qwen3TTSRunHook
from tts_interp.models.qwen3_tts.prompt import PreparedPrompt, PromptRequest, build_segment_map
from tts_interp.models.qwen3_tts.settings import (
    FrameStreamer,
    GenerationSettings,
    PromptCaptured,
)
from tts_interp.models.qwen3_tts.sites import site_table
from tts_interp.models.qwen3_tts.upstream import import_qwen_tts
from tts_interp.tracing.spec import SiteSpec, TracedCall

SAMPLE_RATE = 24000
HOP = 1920  # samples per frame at 24 kHz (12.5 Hz)


@dataclass
class VoiceInputs:
    """What the voice adds to upstream's call: the prompt's mode, the speaker vector, the reference codes."""

    mode: str
    non_streaming: bool
    speaker_vector: torch.Tensor | None = None
    ref_code: torch.Tensor | None = None
    n_ref_text: int = 0
    n_ref_frames: int = 0


class Qwen3TTSAdapter(Qwen3TTSRunHook):
    """A loaded Qwen3-TTS checkpoint (Base, CustomVoice or VoiceDesign) behind the adapter protocol."""

    family = "qwen3-tts"
    capabilities = frozenset({"generate", "teacher_force", "lens", "run"})
    clocks = CLOCKS
    phases = PHASES

    def __init__(self, model_id: str, wrapper: Any, checkpoint: Path):
        self.model_id = model_id
        self.wrapper = wrapper  # upstream Qwen3TTSModel: tokenizer helpers + the model
        self.model = wrapper.model
        self.talker = self.model.talker
        self.checkpoint = checkpoint
        self.config = self.model.config
        self.talker_config = self.config.talker_config
        self._sites = site_table(int(self.talker_config.hidden_size), self.n_layers,
                                 int(self.talker_config.code_predictor_config.hidden_size),
                                 self.n_code_predictor_layers, self.variant in ("base", "custom_voice"))

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, model_id: str, device: torch.device, dtype: torch.dtype) -> Qwen3TTSAdapter:
        """Load a built-in id, a local directory or a hub id, through upstream `Qwen3TTSModel.from_pretrained`."""
        import_qwen_tts()
        from qwen_tts import Qwen3TTSModel

        checkpoint = checkpoint_dir(model_id, tiny.BUILTIN_PREFIX, tiny.sized_builtin_ids(), tiny.sized_checkpoint)
        if not (checkpoint / "config.json").is_file() or not (checkpoint / "speech_tokenizer").is_dir():
            raise TTSInterpError(f"{checkpoint} is not a Qwen3-TTS checkpoint directory: it needs config.json, "
                                 "model.safetensors, the text tokenizer files and speech_tokenizer/")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wrapper = Qwen3TTSModel.from_pretrained(str(checkpoint), dtype=dtype, device_map=str(device),
                                                    local_files_only=True, attn_implementation="sdpa")
        wrapper.model.eval()
        # The codec stays float32 whatever the language model's dtype: a bf16 codec gives NaN/silence on real
        # weights, and codebook ablations are compared at full precision.
        wrapper.model.speech_tokenizer.model.to(torch.float32)
        return cls(model_id, wrapper, checkpoint)

    # ------------------------------------------------------------------ description
    @property
    def variant(self) -> str:
        return str(self.model.tts_model_type)

    @property
    def device(self) -> torch.device:
        return self.talker.device

    @property
    def dtype(self) -> torch.dtype:
        return self.talker.dtype

    @property
    def n_layers(self) -> int:
        return int(self.talker_config.num_hidden_layers)

    @property
    def n_code_predictor_layers(self) -> int:
        return int(self.talker_config.code_predictor_config.num_hidden_layers)

    def speakers(self) -> list[str]:
        return sorted((self.talker_config.spk_id or {}).keys())

    def languages(self) -> list[str]:
        return ["auto"] + sorted((self.talker_config.codec_language_id or {}).keys())

    def supports_instruct(self) -> bool:
        """VoiceDesign always; CustomVoice except the 0.6B size (upstream drops it there); Base never."""
        if self.variant == "voice_design":
            return True
        return self.variant == "custom_voice" and str(self.model.tts_model_size) not in "0b6"

    def describe(self) -> dict[str, Any]:
        return dict(family=self.family, model_id=self.model_id, variant=self.variant, checkpoint=str(self.checkpoint),
                    talker_layers=self.n_layers, talker_hidden=int(self.talker_config.hidden_size),
                    code_predictor_layers=self.n_code_predictor_layers,
                    code_predictor_hidden=int(self.talker_config.code_predictor_config.hidden_size),
                    speakers=self.speakers(), languages=self.languages(), dtype=str(self.dtype).removeprefix("torch."),
                    codec_dtype="float32",
                    device=str(self.device), builtin=self.model_id.startswith(tiny.BUILTIN_PREFIX))

    # ------------------------------------------------------------------ sites
    def sites(self) -> dict[str, SiteSpec]:
        return self._sites

    # ------------------------------------------------------------------ prompts
    def prepare(self, request: PromptRequest) -> PreparedPrompt:
        """Validate a request, build the talker inputs through upstream's generate, and label every position."""
        if not request.text or not request.text.strip():
            raise BadInputError("text is empty; give the words to speak with --text")
        language, instruct, speaker, notes = self._checked_fields(request)
        w = self.wrapper
        input_ids = w._tokenize_texts([w._build_assistant_text(request.text)])
        n_text = int(input_ids[0].shape[1]) - 8
        if n_text < 1:
            raise BadInputError(f"text {request.text!r} has no tokens after tokenisation")
        instruct_ids = [w._tokenize_texts([w._build_instruct_text(instruct)])[0] if instruct else None]
        call: dict[str, Any] = dict(input_ids=input_ids, instruct_ids=instruct_ids, languages=[language])
        voice = self._clone_inputs(request, call, notes) if self.variant == "base" else \
            self._named_inputs(request, speaker, call)
        call["non_streaming_mode"] = voice.non_streaming
        talker_kwargs = self._capture_talker_call(call)
        segments = build_segment_map(n_instruct=int(instruct_ids[0].shape[1]) if instruct else 0,
                                     n_language=3 if language == "auto" else 4,
                                     has_speaker=voice.speaker_vector is not None, n_text=n_text, mode=voice.mode,
                                     n_ref_text=voice.n_ref_text, n_ref_frames=voice.n_ref_frames)
        length = int(talker_kwargs["inputs_embeds"].shape[1])
        if segments.prompt_length != length:
            raise AssertionError(f"segment map covers {segments.prompt_length} positions, prompt has {length}")
        position = next((s.start for s in segments.segments if s.name == "speaker"), None)
        cleaned = PromptRequest(text=request.text, instruct=instruct, speaker=speaker,
                                ref_audio=request.ref_audio if self.variant == "base" else None,
                                ref_text=request.ref_text if self.variant == "base" else None,
                                language=language, non_streaming=voice.non_streaming)
        return PreparedPrompt(cleaned, talker_kwargs, segments, voice.speaker_vector, position, voice.ref_code,
                              voice.mode, notes)

    def _checked_fields(self, request: PromptRequest) -> tuple[str, str | None, str | None, list[str]]:
        """(language, instruct, speaker, notes): each checked against this variant; a field it ignores is noted."""
        notes: list[str] = []
        language = (request.language or "auto").lower()
        if language not in self.languages():
            raise UnknownNameError("language", request.language, self.languages())
        instruct = (request.instruct or "").strip() or None
        if instruct is not None and not self.supports_instruct():
            notes.append(f"instruct ignored: the {self.variant} variant of {self.model_id} has no instruct input "
                         "(upstream drops it silently)")
            instruct = None
        speaker = (request.speaker or "").strip() or None
        if self.variant == "custom_voice":
            if speaker is None:
                raise BadInputError(f"{self.model_id} is a CustomVoice model and needs --speaker; choices: "
                                    f"{', '.join(self.speakers())}")
            if speaker.lower() not in self.speakers():
                raise UnknownNameError("speaker", speaker, self.speakers())
        elif speaker is not None:
            notes.append(f"speaker ignored: the {self.variant} variant has no named speakers")
            speaker = None
        if self.variant != "base" and request.ref_audio:
            notes.append(f"reference audio ignored: only Base models clone a voice ({self.model_id} is "
                         f"{self.variant})")
        return language, instruct, speaker, notes

    def _clone_inputs(self, request: PromptRequest, call: dict[str, Any], notes: list[str]) -> VoiceInputs:
        """A Base model's voice clone prompt (x-vector, plus the reference codes with --ref-text), into `call`."""
        if not request.ref_audio:
            raise BadInputError(f"{self.model_id} is a Base (voice clone) model and needs --ref-audio")
        w = self.wrapper
        non_streaming = bool(request.non_streaming) if request.non_streaming is not None else False
        audio = load_audio(request.ref_audio, SAMPLE_RATE, min_seconds=0.5)
        icl = bool(request.ref_text and request.ref_text.strip())
        items = w.create_voice_clone_prompt(ref_audio=(audio.samples, audio.sample_rate),
                                            ref_text=request.ref_text if icl else None, x_vector_only_mode=not icl)
        clone = w._prompt_items_to_voice_clone_prompt(items)
        call["voice_clone_prompt"] = clone
        voice = VoiceInputs("non_streaming" if non_streaming else "streaming", non_streaming,
                            clone["ref_spk_embedding"][0].detach().clone())
        if not icl:
            notes.append("x-vector only voice clone (no --ref-text given; give it for in-context cloning)")
            return voice
        ref_ids = w._tokenize_texts([w._build_ref_text(request.ref_text)])[0]
        call["ref_ids"] = [ref_ids]
        voice.ref_code = clone["ref_code"][0].detach().clone()
        voice.n_ref_text, voice.n_ref_frames = int(ref_ids.shape[1]) - 5, int(voice.ref_code.shape[0])
        voice.mode = "icl_non_streaming" if non_streaming else "icl_streaming"
        return voice

    def _named_inputs(self, request: PromptRequest, speaker: str | None, call: dict[str, Any]) -> VoiceInputs:
        """A CustomVoice speaker's embedding row (VoiceDesign: no speaker), into `call`."""
        non_streaming = bool(request.non_streaming) if request.non_streaming is not None else True
        voice = VoiceInputs("non_streaming" if non_streaming else "streaming", non_streaming)
        if speaker is not None:
            call["speakers"] = [speaker]
            spk_id = int(self.talker_config.spk_id[speaker.lower()])
            with torch.no_grad():
                voice.speaker_vector = self.talker.get_input_embeddings().weight[spk_id].detach().clone()
        return voice

    def _capture_talker_call(self, call: dict[str, Any]) -> dict[str, Any]:
        """Run upstream's generate up to its `talker.generate` call and return that call's keyword arguments."""
        talker = self.talker

        def intercept(**kwargs: Any) -> Any:
            raise PromptCaptured(kwargs)

        talker.generate = intercept  # instance attribute shadows the class method for this call only
        try:
            self.model.generate(**call)
        except PromptCaptured as captured:
            return captured.kwargs
        finally:
            del talker.generate
        raise AssertionError("upstream generate returned without calling talker.generate")

    # ------------------------------------------------------------------ generation
    def generation_call(self, prompt: PreparedPrompt, settings: GenerationSettings,
                        on_frame: Callable[[], None] | None = None) -> TracedCall:
        """The `talker.generate` call for `prompt` with `settings`; its result is the (frames, 16) code tensor.

        `on_frame` is called once per generated frame (through a transformers streamer), for progress bars.
        """
        if settings.max_new_tokens < 1:
            raise BadInputError(f"max_new_tokens (the most frames to generate) must be at least 1, got "
                                f"{settings.max_new_tokens}")
        kwargs = dict(prompt.talker_kwargs)
        kwargs.update(settings.talker_overrides())
        if on_frame is not None:
            kwargs["streamer"] = FrameStreamer(on_frame)
        return TracedCall(root=self.talker, fn=self.talker.generate, kwargs=kwargs, finish=self._collect_codes)

    def _collect_codes(self, result: Any) -> torch.Tensor:
        """Stack each decode step's 16 codes and cut at the first codebook-0 EOS, as upstream generate does."""
        steps = [hidden[-1] for hidden in result.hidden_states if hidden[-1] is not None]
        codes = torch.stack(steps, dim=1)[0]
        eos = (codes[:, 0] == int(self.talker_config.codec_eos_token_id)).nonzero()
        if len(eos):
            codes = codes[: int(eos[0, 0])]
        return codes.detach().to("cpu", torch.long)

    def seed(self, seed: int) -> None:
        """Seed every generator the samplers draw from."""
        torch.manual_seed(seed)
        np.random.seed(seed % 2**32)

    # ------------------------------------------------------------------ teacher forcing
    def teacher_forcing_call(self, prompt: PreparedPrompt, codes: torch.Tensor) -> TracedCall:
        """One talker pass over prompt + frames 0..T-2 and one code-predictor pass; no sampling."""
        codes = self.check_codes(codes)
        kwargs = dict(prompt=prompt, codes=codes.to(self.device))
        return TracedCall(root=self.talker, fn=partial(teacher_forced_forward, self.talker), kwargs=kwargs,
                          finish=lambda r: r)

    def check_codes(self, codes: torch.Tensor | np.ndarray) -> torch.Tensor:
        """Validate a (frames, 16) code array: integer dtype (never truncated floats), in 0..2047, >= 1 frame."""
        if not isinstance(codes, torch.Tensor):
            codes = np.asarray(codes)
        shape = tuple(codes.shape)
        if len(shape) != 2 or shape[1] != CODEBOOKS or shape[0] < 1:
            raise BadInputError(f"codes must have shape (frames, {CODEBOOKS}) with at least one frame, got {shape}")
        dtype = codes.dtype
        integral = (not dtype.is_floating_point and not dtype.is_complex and dtype != torch.bool
                    if isinstance(dtype, torch.dtype) else dtype.kind in "iu")
        if not integral:
            raise BadInputError(f"codes must be integers (codebook indices), got dtype {dtype}")
        codes = torch.as_tensor(codes).long()
        if int(codes.min()) < 0 or int(codes.max()) > 2047:
            raise BadInputError(f"codes must lie in 0..2047, got {int(codes.min())}..{int(codes.max())}")
        return codes

    # ------------------------------------------------------------------ audio
    def decode(self, codes: torch.Tensor, prompt: PreparedPrompt | None = None) -> np.ndarray:
        """Codes (T, 16) to a 24 kHz waveform; an in-context clone is decoded with its reference as context."""
        codes = self.check_codes(codes).to(self.device)
        context = prompt.ref_code if prompt is not None else None
        if context is not None:
            full = torch.cat([context.to(self.device), codes], dim=0)
            wavs, _ = self.model.speech_tokenizer.decode([{"audio_codes": full}])
            cut = int(context.shape[0] / max(full.shape[0], 1) * wavs[0].shape[0])
            return np.asarray(wavs[0][cut:], dtype=np.float32)
        wavs, _ = self.model.speech_tokenizer.decode([{"audio_codes": codes}])
        return np.asarray(wavs[0], dtype=np.float32)

    @property
    def sample_rate(self) -> int:
        return SAMPLE_RATE
