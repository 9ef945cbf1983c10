"""The module tree the engine traces: upstream KModel plus the two halves of the style vector as sites.

`synthesize` drives KModel's own modules in the order of `KModel.forward_with_tokens`, with three changes
that make Kokoro an instrument: the style halves pass through identity modules (`style.prosody`,
`style.timbre`) so they can be read and written like any activation; the text encoder runs before the
prosody's F0/N blocks (it depends on neither, so the audio is the same) so every phoneme-position site runs
before every frame site; and durations can be forced (to patch between runs of equal length), with the
decoder's noise drawn from the run's seed.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass

import torch

from tts_interp.models.kokoro.upstream import decoder_noise_off


@dataclass
class Synthesized:
    """Audio (samples at 24 kHz, float32 CPU) and the duration of every token in frames (25 ms each)."""

    audio: torch.Tensor
    durations: torch.Tensor


class KokoroRunner(torch.nn.Module):
    """KModel with identity modules for the style halves; `synthesize` is the traced call."""

    def __init__(self, kmodel: torch.nn.Module):
        super().__init__()
        self.kmodel = kmodel
        self.style_prosody = torch.nn.Identity()
        self.style_timbre = torch.nn.Identity()

    @torch.no_grad()
    def predict_durations(self, input_ids: torch.Tensor, ref_s: torch.Tensor, speed: float) -> torch.Tensor:
        """The text side only: durations (frames per token), as `synthesize` would predict them."""
        return self._text_side(input_ids, ref_s, speed)[2]

    def _text_side(self, input_ids: torch.Tensor, ref_s: torch.Tensor, speed: float
                   ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        k = self.kmodel
        # copies: a write at a style site edits this run's vector, never the caller's prompt or voice table
        prosody = self.style_prosody(ref_s[:, 128:].clone())
        timbre = self.style_timbre(ref_s[:, :128].clone())
        lengths = torch.full((input_ids.shape[0],), input_ids.shape[-1], device=input_ids.device, dtype=torch.long)
        text_mask = torch.zeros_like(input_ids, dtype=torch.bool)  # one unpadded utterance
        bert = k.bert(input_ids, attention_mask=(~text_mask).int())
        d_en = k.bert_encoder(bert).transpose(-1, -2)
        d = k.predictor.text_encoder(d_en, prosody, lengths, text_mask)
        x, _ = k.predictor.lstm(d)
        logits = k.predictor.duration_proj(x)
        duration = torch.sigmoid(logits).sum(dim=-1) / speed
        predicted = torch.round(duration).clamp(min=1).long().reshape(-1)
        return d, prosody, predicted, timbre

    @torch.no_grad()
    def synthesize(self, input_ids: torch.Tensor, ref_s: torch.Tensor, speed: float = 1.0, seed: int = 0,
                   durations: torch.Tensor | None = None, noise: bool = True) -> Synthesized:
        """Phoneme ids (1, L) with boundary tokens and a style row (1, 256) -> audio and durations."""
        k = self.kmodel
        d, prosody, predicted, timbre = self._text_side(input_ids, ref_s, speed)
        lengths = torch.full((input_ids.shape[0],), input_ids.shape[-1], device=input_ids.device, dtype=torch.long)
        t_en = k.text_encoder(input_ids, lengths, torch.zeros_like(input_ids, dtype=torch.bool))
        chosen = predicted if durations is None else durations.to(predicted.device).reshape(-1)
        positions = torch.repeat_interleave(torch.arange(input_ids.shape[1], device=input_ids.device), chosen)
        alignment = torch.zeros((input_ids.shape[1], positions.shape[0]), device=input_ids.device)
        alignment[positions, torch.arange(positions.shape[0])] = 1
        alignment = alignment.unsqueeze(0)
        en = d.transpose(-1, -2) @ alignment
        f0, n = k.predictor.F0Ntrain(en, prosody)
        asr = t_en @ alignment
        generator = torch.random.fork_rng(devices=[]) if noise else nullcontext()
        with generator, (decoder_noise_off() if not noise else nullcontext()):
            torch.manual_seed(seed)
            audio = k.decoder(asr, f0, n, timbre).squeeze()
        return Synthesized(audio.float().cpu(), chosen.cpu())

