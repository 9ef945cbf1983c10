"""Generation: determinism, fidelity to upstream, traced reads are passive, writes act where they should."""

from __future__ import annotations

import torch

from tests.conftest import same_codes
from tts_interp.models.qwen3_tts.prompt import PromptRequest
from tts_interp.models.qwen3_tts.runs import generate
from tts_interp.models.qwen3_tts.settings import GenerationSettings
from tts_interp.tracing.engine import Read
from tts_interp.tracing.ops import Write
from tts_interp.tracing.selection import Selection

REQUEST = PromptRequest(text="hello world", instruct="a deep slow male voice", language="english")


def _generate(session, settings, request=REQUEST, **kwargs):
    prompt = session.adapter.prepare(request)
    return generate(session.engine, session.adapter, prompt, settings, **kwargs)


def test_same_seed_same_codes_and_other_seed_differs(voicedesign):
    settings = GenerationSettings(max_new_tokens=12, seed=3)
    first, second = _generate(voicedesign, settings), _generate(voicedesign, settings)
    assert first.codes.shape[1] == 16 and first.codes.shape[0] > 5
    assert same_codes(first.codes, second.codes)
    other = _generate(voicedesign, GenerationSettings(max_new_tokens=12, seed=4))
    assert not same_codes(first.codes, other.codes)


def test_greedy_is_seed_independent(voicedesign):
    a = _generate(voicedesign, GenerationSettings(max_new_tokens=16, greedy=True, seed=1))
    b = _generate(voicedesign, GenerationSettings(max_new_tokens=16, greedy=True, seed=2))
    assert same_codes(a.codes, b.codes)


def test_replay_matches_upstream_generate(voicedesign):
    """Our captured-prompt replay gives exactly upstream Qwen3TTSForConditionalGeneration.generate's codes."""
    adapter = voicedesign.adapter
    wrapper = adapter.wrapper
    settings = GenerationSettings(max_new_tokens=20, seed=7)
    ours = _generate(voicedesign, settings)
    torch.manual_seed(7)
    upstream, _ = adapter.model.generate(
        input_ids=wrapper._tokenize_texts([wrapper._build_assistant_text(REQUEST.text)]),
        instruct_ids=[wrapper._tokenize_texts([wrapper._build_instruct_text(REQUEST.instruct)])[0]],
        languages=["english"], non_streaming_mode=True, max_new_tokens=settings.talker_steps)
    assert same_codes(upstream[0].cpu(), ours.codes)  # upstream's N+1 talker steps make N frames


def test_traced_reads_leave_codes_bit_identical(voicedesign):
    settings = GenerationSettings(max_new_tokens=20, seed=5)
    plain = _generate(voicedesign, settings)
    reads = [Read("talker.layer.*.resid_out"), Read("talker.layer.1.mlp_out"), Read("code_predictor.layer.*.resid_out")]
    traced = _generate(voicedesign, settings, reads=reads)
    assert same_codes(plain.codes, traced.codes)
    rows = traced.store.get("talker.layer.3.resid_out")
    prompt_length = traced.prompt.length
    assert rows.values.shape == (prompt_length + settings.talker_steps - 1, 64)
    cp_rows = traced.store.get("code_predictor.layer.0.resid_out")
    assert cp_rows.values.shape[0] == 15 * traced.codes.shape[0]
    assert [r.codebook for r in cp_rows.rows[:15]] == list(range(1, 16))


def test_zero_write_is_a_no_op(voicedesign):
    settings = GenerationSettings(max_new_tokens=10, seed=5)
    plain = _generate(voicedesign, settings)
    writes = [Write(f"talker.layer.{i}.resid_out", "add", torch.zeros(64)) for i in range(4)]
    writes.append(Write("code_predictor.layer.1.resid_out", "add", torch.zeros(32)))
    assert same_codes(plain.codes, _generate(voicedesign, settings, writes=writes).codes)


def test_write_at_frames_10_to_20_changes_nothing_before_frame_10(voicedesign):
    settings = GenerationSettings(max_new_tokens=22, seed=11)
    plain = _generate(voicedesign, settings)
    vector = torch.randn(64, generator=torch.Generator().manual_seed(0)) * 20
    steered = _generate(voicedesign, settings,
                        writes=[Write("talker.layer.2.resid_out", "add", vector, Selection(frames=(10, 20)))])
    assert same_codes(plain.codes[:10], steered.codes[:10])
    assert not same_codes(plain.codes[10:20], steered.codes[10:20])


def test_code_predictor_write_changes_only_its_codebooks_onward(voicedesign):
    """A write at frame 5, codebook 3 leaves frames 0-4 and codebooks 1-2 of frame 5 untouched."""
    settings = GenerationSettings(max_new_tokens=8, greedy=True)
    plain = _generate(voicedesign, settings)
    vector = torch.randn(32, generator=torch.Generator().manual_seed(1)) * 50
    edited = _generate(voicedesign, settings, writes=[
        Write("code_predictor.layer.1.resid_out", "add", vector, Selection(frames=(5, 6), codebooks=(3,)))])
    assert same_codes(plain.codes[:5], edited.codes[:5])
    assert torch.equal(plain.codes[5, :3], edited.codes[5, :3])
    assert not torch.equal(plain.codes[5, 3:], edited.codes[5, 3:])


def test_speaker_embedding_replacement_reproduces_the_other_speaker(customvoice):
    settings = GenerationSettings(max_new_tokens=16, greedy=True)
    aria = PromptRequest(text="hello world", speaker="aria")
    bram = PromptRequest(text="hello world", speaker="bram")
    bram_vector = customvoice.adapter.prepare(bram).speaker_vector
    swapped = _generate(customvoice, settings, aria, writes=[Write("speaker_embedding", "replace", bram_vector)],
                        reads=[Read("speaker_embedding")])
    assert same_codes(swapped.codes, _generate(customvoice, settings, bram).codes)
    assert not same_codes(swapped.codes, _generate(customvoice, settings, aria).codes)
    assert torch.allclose(swapped.store.get("speaker_embedding").values[0], bram_vector)


def test_base_voice_clone_in_both_modes(base, ref_clip):
    settings = GenerationSettings(max_new_tokens=12, seed=0)
    icl = _generate(base, settings, PromptRequest(text="hello world", ref_audio=ref_clip, ref_text="the quick fox"))
    xvec = _generate(base, settings, PromptRequest(text="hello world", ref_audio=ref_clip))
    assert icl.prompt.mode == "icl_streaming" and "ref_codes" in icl.prompt.segments.names()
    assert xvec.prompt.mode == "streaming" and "speaker" in xvec.prompt.segments.names()
    assert icl.codes.shape[1] == xvec.codes.shape[1] == 16
    audio = base.adapter.decode(icl.codes, icl.prompt)
    assert audio.ndim == 1 and abs(len(audio) - 1920 * icl.codes.shape[0]) <= 1920
