"""Segment-by-segment alignment of two prompts of different lengths (instructs of different token counts)."""

from __future__ import annotations

import pytest
import torch

from tts_interp.core.errors import BadInputError, UnknownNameError
from tts_interp.interventions.talker.alignment import aligned_positions, check_alignable, source_position
from tts_interp.interventions.talker.prompts import prepare_pair
from tts_interp.models.qwen3_tts.prompt import PromptRequest, build_segment_map


def maps(n_instruct_a: int, n_instruct_b: int):
    build = lambda n: build_segment_map(n_instruct=n, n_language=3, has_speaker=False, n_text=4,  # noqa: E731
                                        mode="non_streaming")
    return build(n_instruct_a), build(n_instruct_b)


def test_segments_after_an_instruct_of_another_length_shift_with_it():
    source, target = maps(13, 10)  # A's instruct is 3 tokens longer
    positions, sources = aligned_positions(source, target, "text", n_frames=1)
    assert positions == list(range(17, 22)) and sources == [p + 3 for p in positions]
    positions, sources = aligned_positions(source, target, "frames", n_frames=4)
    assert positions == [target.prompt_length + k for k in range(3)]
    assert sources == [source.prompt_length + k for k in range(3)]
    positions, sources = aligned_positions(source, target, "codec_prefix", n_frames=1)
    assert sources == [p + 3 for p in positions] and len(positions) == 4


def test_an_unequal_segment_is_refused_or_aligned_by_relative_position():
    source, target = maps(13, 10)
    with pytest.raises(BadInputError, match="13 positions in prompt A and 10 in prompt B"):
        aligned_positions(source, target, "instruct", n_frames=1)
    positions, sources = aligned_positions(source, target, "instruct", n_frames=1, rule="relative")
    assert positions == list(range(10))
    assert sources[0] == 0 and sources[-1] == 12 and sources == sorted(sources)
    assert all(0 <= s < 13 for s in sources)
    assert source_position(source, target, 5, "relative") == round((5 + 0.5) * 13 / 10 - 0.5)


def test_missing_and_unknown_segments_fail_clearly():
    with_instruct, without = maps(10, 0)
    with pytest.raises(BadInputError, match="exists in prompt B but not in prompt A"):
        check_alignable(without, with_instruct, "instruct")
    with pytest.raises(BadInputError, match="exists in prompt A but not in prompt B"):
        check_alignable(with_instruct, without, "instruct")
    with pytest.raises(UnknownNameError, match="unknown segment 'speeker'.*codec_prefix.*frames"):
        check_alignable(with_instruct, with_instruct, "speeker")
    with pytest.raises(UnknownNameError, match="alignment rule"):
        check_alignable(with_instruct, with_instruct, "text", rule="stretch")


def test_aligned_positions_of_real_prompts_hold_the_same_inputs(voicedesign, short_vs_long):
    """With instructs of different token counts, every aligned position carries the same token in A and B."""
    pair = prepare_pair(voicedesign.adapter, *short_vs_long)
    assert len(pair.a.segments.segments[0]) != len(pair.b.segments.segments[0])  # instruct lengths differ
    embeds_a = pair.a.talker_kwargs["inputs_embeds"][0]
    embeds_b = pair.b.talker_kwargs["inputs_embeds"][0]
    checked = 0
    for name in ("role", "language", "text_bos", "text", "codec_bos"):
        positions, sources = aligned_positions(pair.a.segments, pair.b.segments, name, n_frames=1)
        for target, source in zip(positions, sources, strict=True):
            assert torch.equal(embeds_b[target], embeds_a[source]), (name, target, source)
            checked += 1
    assert checked == pair.b.length - len(pair.b.segments.segments[0])


def test_different_texts_cannot_be_paired(voicedesign):
    with pytest.raises(BadInputError, match="same text"):
        prepare_pair(voicedesign.adapter, PromptRequest("hello world", instruct="a calm voice"),
                     PromptRequest("the quick brown fox", instruct="a calm voice"))
