"""Teacher forcing reproduces what generation saw: logits of both heads and activations at both clocks."""

from __future__ import annotations

import torch

from tts_interp.models.qwen3_tts.prompt import PromptRequest
from tts_interp.models.qwen3_tts.runs import generate, teacher_force
from tts_interp.models.qwen3_tts.settings import GenerationSettings
from tts_interp.tracing.engine import Read
from tts_interp.tracing.ops import Write
from tts_interp.tracing.selection import Selection

REQUEST = PromptRequest(text="she sells sea shells", instruct="a bright fast female voice")


def test_teacher_forcing_reproduces_greedy_generation_logits(voicedesign):
    adapter, engine = voicedesign.adapter, voicedesign.engine
    prompt = adapter.prepare(REQUEST)
    settings = GenerationSettings(max_new_tokens=16, greedy=True, repetition_penalty=1.0)
    run = generate(engine, adapter, prompt, settings,
                   reads=[Read("talker.final_norm", Selection(frames=(0, None))),
                          Read("code_predictor.final_norm")])
    forced = teacher_force(engine, adapter, prompt, run.codes)
    frames = run.codes.shape[0]
    with torch.no_grad():
        talker_rows = run.store.get("talker.final_norm")
        seen = adapter.talker.codec_head(talker_rows.values[:frames]).float()
        assert [r.frame for r in talker_rows.rows[:frames]] == list(range(frames))
        assert torch.allclose(seen, forced.logits.code0_logits, atol=1e-4)
        cp_rows = run.store.get("code_predictor.final_norm")
        heads = adapter.talker.code_predictor.lm_head
        seen_cp = torch.stack([heads[r.codebook - 1](v) for v, r in zip(cp_rows.values, cp_rows.rows, strict=True)])
        expected = torch.stack([forced.logits.code_predictor_logits[r.frame, r.codebook - 1] for r in cp_rows.rows])
        assert torch.allclose(seen_cp.float(), expected, atol=1e-4)
    # greedy choices are the argmax of the forced logits (no repetition penalty here)
    assert torch.equal(forced.logits.code0_logits[:, :2048].argmax(-1), run.codes[:, 0])
    assert torch.equal(forced.logits.code_predictor_logits.argmax(-1), run.codes[:, 1:])


def test_teacher_forced_reads_match_generation_reads(voicedesign):
    adapter, engine = voicedesign.adapter, voicedesign.engine
    prompt = adapter.prepare(REQUEST)
    run = generate(engine, adapter, prompt, GenerationSettings(max_new_tokens=12, seed=2),
                   reads=[Read("talker.layer.2.attn_out", Selection(frames=(3, 8), segments=("instruct",))),
                          Read("code_predictor.layer.0.mlp_out", Selection(frames=(2, 4), codebooks=(1, 7)))])
    forced = teacher_force(engine, adapter, prompt, run.codes,
                           reads=[Read("talker.layer.2.attn_out", Selection(frames=(3, 8), segments=("instruct",))),
                                  Read("code_predictor.layer.0.mlp_out", Selection(frames=(2, 4), codebooks=(1, 7)))])
    for site in ("talker.layer.2.attn_out", "code_predictor.layer.0.mlp_out"):
        gen, tf = run.store.get(site), forced.store.get(site)
        assert gen.rows == tf.rows
        assert torch.allclose(gen.values, tf.values, atol=1e-5)
    rows = forced.store.get("talker.layer.2.attn_out").rows
    instruct = next(s for s in prompt.segments.segments if s.name == "instruct")
    assert [r.position for r in rows[: len(instruct)]] == list(range(instruct.start, instruct.stop))
    assert [r.frame for r in rows[len(instruct):]] == [3, 4, 5, 6, 7]


def test_teacher_forced_writes_are_causal_and_visible_to_reads(voicedesign):
    """A write at frame 6 changes no logits of frames 0-5; a read after it sees the written values."""
    adapter, engine = voicedesign.adapter, voicedesign.engine
    prompt = adapter.prepare(REQUEST)
    codes = generate(engine, adapter, prompt, GenerationSettings(max_new_tokens=12, seed=1)).codes
    clean = teacher_force(engine, adapter, prompt, codes)
    direction = torch.randn(64, generator=torch.Generator().manual_seed(3))
    selection = Selection(frames=(6, 7))
    edited = teacher_force(engine, adapter, prompt, codes,
                           writes=[Write("talker.layer.1.resid_out", "project_out", direction, selection)],
                           reads=[Read("talker.layer.1.resid_out", selection)])
    assert torch.equal(clean.logits.code0_logits[:6], edited.logits.code0_logits[:6])
    assert not torch.allclose(clean.logits.code0_logits[6:], edited.logits.code0_logits[6:])
    row = edited.store.get("talker.layer.1.resid_out").values[0]
    assert abs(float(row @ direction / direction.norm())) < 1e-4
