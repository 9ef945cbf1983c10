"""Segment maps label the real prompt; the site list matches the model's real modules."""

from __future__ import annotations

import pytest
import torch

from tts_interp.core.errors import OutOfRangeError, UnknownNameError
from tts_interp.models.qwen3_tts.prompt import PromptRequest
from tts_interp.tracing.sites import resolve_sites, site_patterns


def _projected_text(adapter, ids):
    with torch.no_grad():
        return adapter.talker.text_projection(adapter.talker.get_text_embeddings()(ids))


def test_segment_map_labels_instruct_and_role_positions(voicedesign):
    adapter = voicedesign.adapter
    wrapper = adapter.wrapper
    prompt = adapter.prepare(PromptRequest(text="hello world", instruct="speak softly and clearly"))
    by_name = {s.name: s for s in prompt.segments.segments}
    assert [s.name for s in prompt.segments.segments] == ["instruct", "role", "language", "text_bos", "text",
                                                           "codec_bos"]
    embeds = prompt.talker_kwargs["inputs_embeds"][0]
    instruct_ids = wrapper._tokenize_texts([wrapper._build_instruct_text("speak softly and clearly")])[0]
    role_ids = wrapper._tokenize_texts([wrapper._build_assistant_text("hello world")])[0][:, :3]
    instruct, role = by_name["instruct"], by_name["role"]
    assert len(instruct) == instruct_ids.shape[1]
    assert torch.allclose(embeds[instruct.start:instruct.stop], _projected_text(adapter, instruct_ids)[0])
    assert torch.allclose(embeds[role.start:role.stop], _projected_text(adapter, role_ids)[0])
    assert prompt.segments.prompt_length == prompt.length


def test_instructs_of_different_lengths_shift_later_segments(voicedesign):
    adapter = voicedesign.adapter
    short = adapter.prepare(PromptRequest(text="hello world", instruct="fast"))
    long = adapter.prepare(PromptRequest(text="hello world", instruct="a deep slow male voice, speak softly"))
    plain = adapter.prepare(PromptRequest(text="hello world"))
    shift = len(long.segments.segments[0]) - len(short.segments.segments[0])
    assert shift > 0
    for a, b in zip(short.segments.segments[1:], long.segments.segments[1:], strict=True):
        assert (a.name, len(a), a.start + shift) == (b.name, len(b), b.start)
    assert "instruct" not in plain.segments.names()
    assert plain.length == short.length - len(short.segments.segments[0])


def test_customvoice_speaker_position_holds_the_speaker_row(customvoice):
    adapter = customvoice.adapter
    prompt = adapter.prepare(PromptRequest(text="hello world", speaker="cleo", language="english"))
    spk = next(s for s in prompt.segments.segments if s.name == "speaker")
    assert prompt.speaker_position == spk.start
    row = adapter.talker.get_input_embeddings().weight[adapter.talker_config.spk_id["cleo"]]
    assert torch.allclose(prompt.speaker_vector, row)
    assert prompt.segments.groups["codec_prefix"] == ("language", "speaker", "text_bos")


def test_site_list_matches_the_real_modules(voicedesign, base):
    from qwen_tts.core.models import modeling_qwen3_tts as m

    expected_types = {"resid_out": (m.Qwen3TTSTalkerDecoderLayer, m.Qwen3TTSDecoderLayer),
                      "attn_out": (m.Qwen3TTSTalkerAttention, m.Qwen3TTSAttention),
                      "mlp_out": (m.Qwen3TTSTalkerTextMLP,),
                      "final_norm": (m.Qwen3TTSRMSNorm,)}
    adapter = voicedesign.adapter
    sites = adapter.sites()
    talker_layers = len(adapter.talker.model.layers)
    cp_layers = len(adapter.talker.code_predictor.model.layers)
    assert len(sites) == 3 * (talker_layers + cp_layers) + 2
    for spec in sites.values():
        module = adapter.talker.get_submodule(spec.module_path)
        assert isinstance(module, expected_types[spec.name.rsplit(".", 1)[-1]]), spec.name
    assert "speaker_embedding" not in sites and "speaker_embedding" in base.adapter.sites()


def test_site_resolution_errors_and_wildcards(voicedesign):
    sites = voicedesign.adapter.sites()
    assert [s.name for s in resolve_sites(sites, ["talker.layer.*.mlp_out"])] == [
        f"talker.layer.{i}.mlp_out" for i in range(4)]
    with pytest.raises(OutOfRangeError, match=r"talker layer 4 is out of range; valid: 0\.\.3"):
        resolve_sites(sites, ["talker.layer.4.resid_out"])
    with pytest.raises(UnknownNameError, match=r"talker\.layer\.\{0\.\.3\}\.resid_out"):
        resolve_sites(sites, ["talker.layer.1.residual"])
    assert "talker.final_norm" in site_patterns(sites)
