"""Item 7: steering's alpha unit (the site's mean norm) is measured on the positions the write selects, and
the result records which."""

from __future__ import annotations

import torch

from tts_interp.interventions.steering.writes import calibrate
from tts_interp.interventions.talker.prompts import prepare_checked
from tts_interp.models.qwen3_tts.prompt import PromptRequest
from tts_interp.models.qwen3_tts.runs import generate
from tts_interp.models.qwen3_tts.settings import GenerationSettings
from tts_interp.tracing.engine import Read
from tts_interp.tracing.selection import Selection

SITE = "talker.layer.1.resid_out"


def test_alpha_unit_is_the_mean_norm_over_the_selected_positions(voicedesign):
    prompt = prepare_checked(voicedesign.adapter, PromptRequest("hello world", instruct="a calm voice"))
    settings = GenerationSettings(max_new_tokens=4, greedy=True)
    frames_only = Selection(segments=("frames",))
    calibration = calibrate(voicedesign, prompt, settings, [SITE], frames_only)
    reference = generate(voicedesign.engine, voicedesign.adapter, prompt, settings, reads=[Read(SITE, frames_only)])
    rows = reference.store.get(SITE).values.float()
    assert calibration.rows[SITE] == rows.shape[0]
    assert calibration.mean_norm[SITE] == float(rows.norm(dim=-1).mean())
    everything = calibrate(voicedesign, prompt, settings, [SITE])
    assert everything.rows[SITE] > calibration.rows[SITE]
    assert calibration.to_json()["positions"] == frames_only.to_json()
    assert not torch.isclose(torch.tensor(everything.mean_norm[SITE]), torch.tensor(calibration.mean_norm[SITE]))
