"""Activation patching: everything from A reproduces A, nothing reproduces B, sweeps share one source run."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from tts_interp.core.errors import BadInputError, UnknownNameError
from tts_interp.interventions.distributions import log_probs
from tts_interp.interventions.patching import sweep as sweep_module
from tts_interp.interventions.patching.patch import PatchCell, patch_write, recovery
from tts_interp.interventions.patching.sweep import plan_patch_sweep, run_patch_sweep
from tts_interp.interventions.talker.alignment import patchable_names
from tts_interp.interventions.talker.prompts import prepare_checked, prepare_pair
from tts_interp.models.qwen3_tts.prompt import PromptRequest
from tts_interp.models.qwen3_tts.runs import generate, teacher_force
from tts_interp.models.qwen3_tts.settings import GenerationSettings
from tts_interp.models.qwen3_tts.sites import talker_site
from tts_interp.tracing.engine import Read
from tts_interp.tracing.ops import Write
from tts_interp.tracing.selection import Selection


def cache_every_layer(session, prompt, codes):
    sites = [talker_site(i) for i in range(session.adapter.n_layers)]
    return teacher_force(session.engine, session.adapter, prompt, codes, reads=[Read(s) for s in sites])


def full_patch(session, source_run, pair, codes):
    """Writes replacing every layer's residual at every position of B with A's (aligned)."""
    names = [n for n in patchable_names(pair.b.segments) if n not in pair.b.segments.groups]
    return [patch_write(source_run.store, PatchCell("resid_out", layer, name), pair.a.segments, pair.b.segments,
                        codes.shape[0]) for layer in range(session.adapter.n_layers) for name in names]


def test_patching_every_layer_and_position_from_a_reproduces_a(customvoice, codes, two_speakers):
    pair = prepare_pair(customvoice.adapter, *two_speakers)
    source_run = cache_every_layer(customvoice, pair.a, codes)
    target_run = teacher_force(customvoice.engine, customvoice.adapter, pair.b, codes)
    assert not torch.equal(target_run.logits.code0_logits, source_run.logits.code0_logits)
    patched = teacher_force(customvoice.engine, customvoice.adapter, pair.b, codes,
                            writes=full_patch(customvoice, source_run, pair, codes))
    assert torch.equal(patched.logits.code0_logits, source_run.logits.code0_logits)
    assert torch.equal(patched.logits.code_predictor_logits, source_run.logits.code_predictor_logits)


def test_patching_nothing_reproduces_b(customvoice, codes, two_speakers):
    pair = prepare_pair(customvoice.adapter, *two_speakers)
    clean = cache_every_layer(customvoice, pair.b, codes)
    nothing = teacher_force(customvoice.engine, customvoice.adapter, pair.b, codes, writes=[])
    assert torch.equal(nothing.logits.code0_logits, clean.logits.code0_logits)
    self_pair = prepare_pair(customvoice.adapter, two_speakers[1], two_speakers[1])
    from_itself = teacher_force(customvoice.engine, customvoice.adapter, pair.b, codes,
                                writes=full_patch(customvoice, clean, self_pair, codes))
    assert torch.equal(from_itself.logits.code0_logits, clean.logits.code0_logits)


def test_an_empty_patch_gives_the_plain_codes_bit_for_bit(voicedesign, request_a):
    """A traced patch that writes back what the run itself computed changes nothing, in generation."""
    adapter = voicedesign.adapter
    prompt = prepare_checked(adapter, request_a)
    settings = GenerationSettings(max_new_tokens=4, seed=3)
    site, selection = talker_site(1), Selection(segments=("text", "role"))
    plain = generate(voicedesign.engine, adapter, prompt, settings, reads=[Read(site, selection)])
    same = Write(site, "replace", plain.store.get(site).values, selection)
    empty = Write(site, "replace", torch.zeros(0, adapter.sites()[site].dim), Selection(frames=(10_000, None)))
    patched = generate(voicedesign.engine, adapter, prompt, settings, writes=[same, empty])
    assert torch.equal(patched.codes, plain.codes)


def test_recovery_is_zero_at_b_and_one_at_a():
    a = log_probs(torch.tensor([[4.0, 0.0, 1.0], [0.0, 3.0, 0.5]]))
    b = log_probs(torch.tensor([[0.0, 4.0, 1.0], [0.0, 3.5, 0.0]]))
    at_b, at_a = recovery(a, b, b), recovery(a, b, a)
    assert at_b["kl_recovery"] == 0.0 and at_b["logit_diff_recovery"] == 0.0
    assert at_a["kl_recovery"] == 1.0 and at_a["logit_diff_recovery"] == 1.0
    assert at_a["frames_top_differ"] == 1
    assert recovery(a, a, a)["kl_recovery"] is None  # undefined when A and B agree


def test_sweep_shares_one_source_run_and_writes_incrementally(voicedesign, codes, tmp_path, short_vs_long,
                                                              monkeypatch):
    passes = []
    real = sweep_module.teacher_force
    monkeypatch.setattr(sweep_module, "teacher_force", lambda *a, **k: passes.append(k) or real(*a, **k))
    plan = plan_patch_sweep(voicedesign, *short_vs_long, kinds=["resid", "mlp"], layers=[0, 3],
                            segments=["text", "codec_bos", "frames"])
    sweep = run_patch_sweep(voicedesign, plan, tmp_path, codes=codes)
    assert len(plan.cells) == 12 and len(passes) == plan.passes == 14
    assert sum(1 for k in passes if k.get("reads")) == 1  # A is read once, for every cell
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["status"] == "complete" and len(result["cells"]) == 12
    assert "teacher-forced" in result["deterministic"]
    assert (tmp_path / "cells.csv").read_text().count("\n") == 13
    assert sweep.matrices["resid_out"].shape == (2, 3)
    last = {r["segment"]: r for r in sweep.rows if r["layer"] == 3 and r["kind"] == "resid_out"}
    # at the last layer only the frame positions (and codec_bos, which predicts frame 0) move the logits
    assert last["text"]["kl_recovery"] == pytest.approx(0.0, abs=1e-6)
    assert last["codec_bos"]["kl_recovery"] + last["frames"]["kl_recovery"] == pytest.approx(1.0, abs=1e-4)
    assert last["codec_bos"]["positions"] == 1 and last["frames"]["positions"] == codes.shape[0] - 1


def test_sweep_default_segments_skip_what_cannot_be_aligned(voicedesign, short_vs_long):
    plan = plan_patch_sweep(voicedesign, *short_vs_long, layers=[0])
    assert "instruct" in plan.skipped and "instruct" not in plan.segments and "frames" in plan.segments
    relative = plan_patch_sweep(voicedesign, *short_vs_long, layers=[0], rule="relative")
    assert "instruct" in relative.segments and not relative.skipped


def test_bad_sweeps_fail_before_any_pass(voicedesign, short_vs_long, monkeypatch):
    monkeypatch.setattr(sweep_module, "teacher_force", lambda *a, **k: pytest.fail("a pass ran"))
    with pytest.raises(UnknownNameError, match="unknown segment 'txt'"):
        plan_patch_sweep(voicedesign, *short_vs_long, segments=["txt"])
    with pytest.raises(BadInputError, match="positions in prompt A"):
        plan_patch_sweep(voicedesign, *short_vs_long, segments=["instruct"])
    with pytest.raises(UnknownNameError, match="site kind"):
        plan_patch_sweep(voicedesign, *short_vs_long, kinds=["residual"])
    with pytest.raises(BadInputError, match="same text"):
        plan_patch_sweep(voicedesign, short_vs_long[0], PromptRequest("another text", instruct="a calm voice"))
    with pytest.raises(BadInputError, match="exists in prompt A but not in prompt B"):
        plan_patch_sweep(voicedesign, short_vs_long[0], PromptRequest(short_vs_long[0].text), segments=["instruct"])


def test_instruct_on_a_model_without_instruct_is_refused(base, ref_clip):
    with pytest.raises(BadInputError, match="has no instruct input"):
        plan_patch_sweep(base, PromptRequest("hello world", instruct="a calm voice", ref_audio=ref_clip),
                         PromptRequest("hello world", ref_audio=ref_clip))


def test_sweep_with_audio_writes_generate_style_cells(voicedesign, tmp_path, short_vs_long):
    plan = plan_patch_sweep(voicedesign, *short_vs_long, layers=[voicedesign.adapter.n_layers - 1],
                            segments=["text", "frames"])
    run_patch_sweep(voicedesign, plan, tmp_path, max_new_tokens=4, audio=True)
    target_codes = np.load(tmp_path / "target" / "codes.npy")
    assert np.array_equal(np.load(tmp_path / "codes.npy"), target_codes)  # B's greedy codes were forced
    text_cell = tmp_path / "cells" / "resid_out.L3.text"
    assert {p.name for p in text_cell.iterdir()} >= {"audio.wav", "codes.npy", "result.json"}
    # the last layer's output at prompt positions feeds nothing downstream: B's codes are unchanged
    assert np.array_equal(np.load(text_cell / "codes.npy"), target_codes)
    manifest = [json.loads(line) for line in (tmp_path / "manifest.jsonl").read_text().splitlines()]
    assert [m["id"] for m in manifest] == ["resid_out.L3.text", "resid_out.L3.frames"]
    assert manifest[0]["source"] == ["target/audio.wav"] and manifest[0]["target"] == ["source/audio.wav"]
