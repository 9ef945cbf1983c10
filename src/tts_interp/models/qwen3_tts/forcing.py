"""Teacher forcing Qwen3-TTS: one talker pass over prompt + known frames, then one code-predictor pass.

The frame inputs are this package's own (checked by a test against upstream's decode step): the sum of a
frame's 16 code embeddings plus the trailing text (or tts_pad), as upstream's talker builds them while decoding.
"""

from __future__ import annotations

from typing import Any

import torch

from tts_interp.models.qwen3_tts.prompt import PreparedPrompt
from tts_interp.models.qwen3_tts.settings import TeacherForced

CODEBOOKS = 16


def frame_input_embeds(talker: Any, codes: torch.Tensor, prompt: PreparedPrompt) -> torch.Tensor:
    """The talker inputs of frames (1, T, H): the 16 code embeddings summed, plus trailing text or tts_pad."""
    parts = [talker.get_input_embeddings()(codes[:, :1])]
    parts += [talker.code_predictor.get_input_embeddings()[q - 1](codes[:, q:q + 1]) for q in range(1, CODEBOOKS)]
    summed = torch.cat(parts, dim=1).sum(1).unsqueeze(0)
    trailing = prompt.talker_kwargs["trailing_text_hidden"]
    pad = prompt.talker_kwargs["tts_pad_embed"]
    n = min(trailing.shape[1], codes.shape[0])
    extra = [trailing[:, :n]] + [pad.expand(-1, codes.shape[0] - n, -1)]
    return summed + torch.cat(extra, dim=1)


def teacher_forced_forward(talker: Any, prompt: PreparedPrompt, codes: torch.Tensor) -> TeacherForced:
    """Per-frame logits of codebook 0 (talker) and codebooks 1-15 (code predictor) over known `codes`."""
    with torch.no_grad():
        prefill = prompt.talker_kwargs["inputs_embeds"]
        frames = frame_input_embeds(talker, codes[:-1], prompt) if codes.shape[0] > 1 else prefill[:, :0]
        sequence = torch.cat([prefill, frames], dim=1)
        mask = torch.ones(sequence.shape[:2], dtype=torch.long, device=sequence.device)
        out = talker(inputs_embeds=sequence, attention_mask=mask, use_cache=False, output_hidden_states=True,
                     trailing_text_hidden=prompt.talker_kwargs["trailing_text_hidden"],
                     tts_pad_embed=prompt.talker_kwargs["tts_pad_embed"])
        start = prompt.length - 1
        stop = start + codes.shape[0]
        code0 = out.logits[0, start:stop].float()
        hidden = out.hidden_states[0][-1][0, start:stop]
        cp_logits, _ = talker.forward_sub_talker_finetune(codes, hidden)
        return TeacherForced(code0.cpu(), cp_logits.float().cpu())
