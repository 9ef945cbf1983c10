"""Qwen3-TTS goes through the family-neutral patching between runs (interventions/patching/runs.py) too."""

from __future__ import annotations

import torch

from tts_interp.interventions.patching.runs import ALL_SITES, patch_between
from tts_interp.models.qwen3_tts.settings import GenerationSettings

SITES = ["talker.layer.1.resid_out", "speaker_embedding"]


def test_generation_patched_with_itself_is_the_plain_generation(customvoice, two_speakers) -> None:
    adapter = customvoice.adapter
    aria, bram = (adapter.prepare(r) for r in two_speakers)
    settings = GenerationSettings(max_new_tokens=4, greedy=True)
    same = patch_between(customvoice, bram, bram, settings, SITES)
    for cell in (*SITES, ALL_SITES):  # every row replaced by itself: the plain codes, bit for bit
        assert torch.equal(same.cells[cell].codes, same.target.codes), cell
    other = patch_between(customvoice, aria, bram, settings, ["speaker_embedding"])
    assert torch.equal(other.cells["speaker_embedding"].prompt.speaker_vector, other.source.prompt.speaker_vector)
    assert not torch.equal(other.source.prompt.speaker_vector, other.target.prompt.speaker_vector)
