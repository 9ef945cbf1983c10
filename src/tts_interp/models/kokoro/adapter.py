"""The Kokoro-82M adapter: loading, voices, prompts (text -> phoneme chunks + a style row), sites, the traced call.

Clocks (models/kokoro/clocks.py): `utterance` (the style halves, once per run), `positions` (phoneme-token
positions; `positions@k` is the k-th call of a module: ALBERT's one shared layer runs 12 times), and `frames@r+o`
(acoustic frames after duration expansion, r rows per 25-ms frame, offset o: the generator's reflection pad adds
one row in front).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from tts_interp.core.errors import BadInputError, TTSInterpError, UnknownNameError
from tts_interp.models.kokoro import phonemes as g2p
from tts_interp.models.kokoro import upstream, voices
from tts_interp.models.kokoro.clocks import clocks_for
from tts_interp.models.kokoro.hook import KokoroRunHook, KokoroUtterance
from tts_interp.models.kokoro.runner import KokoroRunner, Synthesized
from tts_interp.models.kokoro.weights import BUILTIN_ID, HUB_ID, load_weights
from tts_interp.tracing.spec import Segment, SegmentMap, SiteSpec, TracedCall

ALBERT_LAYER = "kmodel.bert.encoder.albert_layer_groups.0.albert_layers.0"
PLBERT_PASSES = 12


@dataclass(frozen=True)
class KokoroPrompt:
    """One chunk ready to run: token ids with boundary tokens (1, L), the style row (1, 256), and its words."""

    chunk: g2p.Phonemized
    input_ids: torch.Tensor
    ref_s: torch.Tensor
    voice: str
    language: str
    speed: float = 1.0
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def length(self) -> int:
        return int(self.input_ids.shape[1])

    @property
    def segments(self) -> SegmentMap:
        """Words as segments `word.{k}` over token positions (0 and L-1 are the boundary tokens)."""
        return SegmentMap(tuple(Segment(f"word.{k}", a, b + 1) for k, (_, a, b) in enumerate(self.chunk.words)))

    def to_json(self) -> dict[str, Any]:
        return {"text": self.chunk.text, "phonemes": self.chunk.phonemes, "tokens": self.length - 2,
                "voice": self.voice, "language": self.language, "speed": self.speed,
                "words": [{"segment": f"word.{k}", "word": w, "positions": [a, b]}
                          for k, (w, a, b) in enumerate(self.chunk.words)],
                "dropped_symbols": list(self.chunk.dropped)}


def _sites() -> dict[str, SiteSpec]:
    sites: dict[str, SiteSpec] = {}

    def add(name: str, path: str, clock: str, dim: int, text: str, index: int | None = None,
            channels_first: bool = False) -> None:
        sites[name] = SiteSpec(name, path, clock, len(sites), dim, index, text, channels_first)

    add("style.prosody", "style_prosody", "utterance", 128, "style vector's prosody half ref_s[:, 128:] (predictor)")
    add("style.timbre", "style_timbre", "utterance", 128, "style vector's timbre half ref_s[:, :128] (decoder)")
    for i in range(PLBERT_PASSES):
        add(f"plbert.layer.{i}", ALBERT_LAYER, f"positions@{i}", 768, f"PL-BERT pass {i} (ALBERT's shared layer)", 0)
    add("bert_encoder", "kmodel.bert_encoder", "positions", 512, "PL-BERT projected to the predictor's width")
    add("predictor.text_encoder", "kmodel.predictor.text_encoder", "positions", 640,
        "prosody predictor's duration encoder (512 + prosody style)")
    add("predictor.lstm", "kmodel.predictor.lstm", "positions", 512, "prosody predictor's LSTM", 0)
    add("predictor.duration_logits", "kmodel.predictor.duration_proj", "positions", 50,
        "duration logits (sigmoid-summed into frames)")
    add("text_encoder.out", "kmodel.text_encoder", "positions", 512, "acoustic text encoder", channels_first=True)
    add("predictor.shared", "kmodel.predictor.shared", "frames@1+0", 512, "F0/N shared LSTM over frames", 0)
    for branch in ("F0", "N"):
        for i, (dim, rate) in enumerate(((512, 1), (256, 2), (256, 2))):
            add(f"predictor.{branch}.{i}", f"kmodel.predictor.{branch}.{i}", f"frames@{rate}+0", dim,
                f"{branch} block {i} ({rate} rows per frame)", channels_first=True)
        add(f"predictor.{branch}_proj", f"kmodel.predictor.{branch}_proj", "frames@2+0", 1,
            f"predicted {branch} curve", channels_first=True)
    add("decoder.encode", "kmodel.decoder.encode", "frames@1+0", 1024, "decoder encode block", channels_first=True)
    for i, (dim, rate) in enumerate(((1024, 1), (1024, 1), (1024, 1), (512, 2))):
        add(f"decoder.decode.{i}", f"kmodel.decoder.decode.{i}", f"frames@{rate}+0", dim, f"decoder block {i}",
            channels_first=True)
    gen = "kmodel.decoder.generator"
    for stage, (dim, rate, offset) in enumerate(((256, 20, 0), (128, 120, 1))):
        add(f"decoder.generator.ups.{stage}", f"{gen}.ups.{stage}", f"frames@{rate}+0", dim,
            f"generator upsampling {stage}", channels_first=True)
        for k in range(3 * stage, 3 * stage + 3):
            add(f"decoder.generator.resblocks.{k}", f"{gen}.resblocks.{k}", f"frames@{rate}+{offset}", dim,
                f"generator residual block {k}", channels_first=True)
    add("decoder.generator.conv_post", f"{gen}.conv_post", "frames@120+1", 22, "magnitude|phase of the iSTFT",
        channels_first=True)
    return sites


SITES = _sites()
CLOCK_NAMES = sorted({spec.clock for spec in SITES.values()})


def language_for(text: str, voice: str, language: str | None) -> tuple[str, tuple[str, ...]]:
    """The G2P language of `text` spoken by `voice`, and a note when it is not the voice's own.

    Given: it must be one this build phonemizes (en-us, en-gb). Not given: the voice's own language if it is one
    of those; else English text (Latin letters) is read as en-us in the voice, whose accent is kept (the note
    says so); other text in a voice of another language is refused, naming the languages that can be read.
    """
    if language is not None:
        if language not in g2p.LANGUAGES:
            raise UnknownNameError("language", language, g2p.LANGUAGES)
        return language, ()
    info = voices.voice_info(voice)
    if info.language in g2p.LANGUAGES:
        return info.language, ()
    letters = [c for c in text if c.isalpha()]
    if letters and sum(c.isascii() for c in letters) / len(letters) >= 0.9:
        return "en-us", (f"{voice} is a {info.accent} voice: the English text is read with en-us phonemes in its "
                         f"voice, whose accent is kept",)
    raise BadInputError(f"voice {voice!r} speaks {info.accent} ({info.language}), and this build reads only "
                        f"English ({', '.join(g2p.LANGUAGES)}): give English text, or a --language of those")


class KokoroAdapter(KokoroRunHook):
    """A loaded Kokoro-82M (int8 build or original) with its voices."""

    family = "kokoro"
    capabilities = frozenset({"synthesize", "run"})
    clocks = clocks_for(CLOCK_NAMES)  # frame clocks without durations; runs.py binds each run's durations
    phases = {"forward": dict.fromkeys(CLOCK_NAMES, 0)}  # one pass: the clocks' ticks order the stages
    sample_rate = upstream.SAMPLE_RATE
    frame_seconds = upstream.FRAME_SAMPLES / upstream.SAMPLE_RATE

    def __init__(self, model_id: str, runner: KokoroRunner, tables: dict[str, torch.Tensor],
                 provenance: dict[str, Any], vocab: dict[str, int]):
        self.model_id, self.runner, self.tables, self.provenance, self.vocab = model_id, runner, tables, provenance, vocab

    @classmethod
    def load(cls, model_id: str, device: torch.device, dtype: torch.dtype) -> KokoroAdapter:
        if dtype != torch.float32:
            raise TTSInterpError(f"Kokoro runs in float32 here (its iSTFT and LSTMs), not {dtype}; use --dtype float32")
        weights = load_weights(model_id)
        cfg = upstream.config()
        kmodel = upstream.build_kmodel(weights.state, cfg)
        return cls(model_id, KokoroRunner(kmodel).to(device).eval(), weights.tables, weights.provenance, cfg["vocab"])

    @property
    def device(self) -> torch.device:
        return next(self.runner.parameters()).device

    def sites(self) -> dict[str, SiteSpec]:
        return SITES

    def voices(self) -> list[voices.VoiceInfo]:
        return [voices.voice_info(name) for name in sorted(self.tables)]

    def describe(self) -> dict[str, Any]:
        return {"family": self.family, "model_id": self.model_id, "provenance": self.provenance,
                "sample_rate": self.sample_rate, "frame_seconds": self.frame_seconds, "voices": len(self.tables),
                "device": str(self.device), "dtype": "float32", "builtin": self.model_id == BUILTIN_ID}

    def style_table(self, voice: str) -> torch.Tensor:
        """The [510, 1, 256] table of a voice or a mix (`af_heart:0.7,am_michael:0.3`)."""
        return voices.mix_table(self.tables, voices.parse_mix(voice, sorted(self.tables)))

    def prepare_chunks(self, text: str, voice: str, language: str | None = None, speed: float = 1.0
                       ) -> list[KokoroPrompt]:
        """Text -> sentence chunks, each with its style row (the voice table's row for its length)."""
        if not speed > 0:
            raise TTSInterpError(f"speed must be positive, got {speed}")
        parts = voices.parse_mix(voice, sorted(self.tables))
        language, said = language_for(text, parts[0][0], language)
        style = voices.mix_table(self.tables, parts)
        prompts = []
        for chunk in g2p.chunk_text(text, language, self.vocab):
            ids = torch.tensor([[0, *chunk.ids, 0]], dtype=torch.long, device=self.device)
            ref_s = style[len(chunk.ids) - 1].reshape(1, -1).float().to(self.device)
            notes = (f"symbols outside Kokoro's vocabulary dropped: {' '.join(chunk.dropped)}",) if chunk.dropped else ()
            prompts.append(KokoroPrompt(chunk, ids, ref_s, voice, language, speed, said + notes))
        return prompts

    def prepare(self, request: Any) -> KokoroUtterance:
        """A request (models/kokoro/hook.py: text, voice, language, speed) -> its chunks, for the `run` hook."""
        return KokoroUtterance(request, tuple(self.prepare_chunks(request.text, request.voice, request.language,
                                                                  request.speed)))

    def synthesis_call(self, prompt: KokoroPrompt, seed: int, durations: torch.Tensor | None = None,
                       noise: bool = True) -> TracedCall:
        kwargs = dict(input_ids=prompt.input_ids, ref_s=prompt.ref_s, speed=prompt.speed, seed=seed,
                      durations=durations, noise=noise)
        return TracedCall(root=self.runner, fn=self.runner.synthesize, kwargs=kwargs, finish=lambda r: r)

    def duration_sites(self) -> set[str]:
        """Sites that run before the durations are known (a durations-only pass runs exactly these)."""
        return {name for name, spec in SITES.items() if spec.clock != "frames" and not spec.clock.startswith(
            "frames@") and name != "text_encoder.out"}

    def durations_call(self, prompt: KokoroPrompt) -> TracedCall:
        kwargs = dict(input_ids=prompt.input_ids, ref_s=prompt.ref_s, speed=prompt.speed)
        return TracedCall(root=self.runner, fn=self.runner.predict_durations, kwargs=kwargs, finish=lambda r: r)


KNOWN_IDS = [BUILTIN_ID, HUB_ID]
__all__ = ["KokoroAdapter", "KokoroPrompt", "Synthesized", "KNOWN_IDS"]
