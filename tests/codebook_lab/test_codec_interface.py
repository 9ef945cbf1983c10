"""The codec interface on each tiny codec: shapes, batching, and the invariants of true codebook edits."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tts_interp.codecs import load_codec
from tts_interp.core.errors import BadInputError, OutOfRangeError, UnknownNameError
from tts_interp.interventions.codebooks.edits import dtw_frame_map, swap_codes

from .conftest import voiced_clip

CODECS = ["tiny-qwen12hz", "tiny-mimi", "tiny-encodec"]


@pytest.fixture(scope="module", params=CODECS)
def codec(request: pytest.FixtureRequest):
    return load_codec(request.param)


@pytest.fixture(scope="module")
def clips(codec) -> list[np.ndarray]:
    sr = codec.sample_rate
    return [
        voiced_clip(140.0, ["a", "i", "a", "i"], 0.25, sr, 0),
        voiced_clip(210.0, ["i", "a", "i"], 0.2, sr, 1),
    ]


def test_encode_shapes_and_batch_matches_one_at_a_time(codec, clips) -> None:
    batched = codec.encode(clips)
    for clip, codes in zip(clips, batched, strict=True):
        assert codes.shape == (int(np.ceil(len(clip) / codec.hop_length)), codec.n_codebooks)
        assert codes.dtype == np.int64 and 0 <= codes.min() and codes.max() < codec.codebook_size
        alone = codec.encode([clip])[0]
        # a padded batch runs the same frames; float rounding may flip a near-tie in a deep codebook
        np.testing.assert_array_equal(alone[:, 0], codes[:, 0])
        assert (alone == codes).mean() > 0.97
    assert len(np.unique(batched[0][:, 0])) > 1, "codebook 0 should not be constant on a changing signal"


def test_decode_length_and_ablating_nothing_is_bit_identical(codec, clips) -> None:
    codes = codec.encode(clips[:1])[0]
    plain = codec.decode(codes)
    assert abs(len(plain.samples) - len(codes) * codec.hop_length) <= codec.hop_length
    assert np.array_equal(plain.samples, codec.decode(codes, {}).samples)
    with torch.inference_mode():
        direct = codec._decode_tensor(
            torch.from_numpy(codes)
        ).numpy()  # the model's own path, no edit machinery
    assert np.array_equal(plain.samples, direct)
    assert not any("decode" in vars(layer) for layer in codec.vq_layers()), "edits must be undone"


@pytest.mark.parametrize("k", [0, 2])
def test_zero_ablation_removes_exactly_codebook_k(codec, clips, k: int) -> None:
    codes = codec.encode(clips[:1])[0]
    full = codec.quantizer_output(codes)
    ablated = codec.quantizer_output(codes, {k: "zero"})
    contribution = codec.contribution_table(k)[torch.from_numpy(codes[:, k])].T
    assert contribution.abs().max() > 1e-3
    torch.testing.assert_close(full - ablated, contribution, atol=1e-4, rtol=1e-4)
    # the same holds codebook by codebook: every other codebook's contribution is untouched
    others = [j for j in range(codec.n_codebooks) if j != k][:3]
    for j in others:
        only_j = {m: "zero" for m in range(codec.n_codebooks) if m != j}
        only_j_with_k_ablated = only_j | {k: "zero"}
        torch.testing.assert_close(
            codec.quantizer_output(codes, only_j), codec.quantizer_output(codes, only_j_with_k_ablated)
        )


def test_mean_edit_puts_the_mean_entry_in_place(codec, clips) -> None:
    codes = codec.encode(clips[:1])[0]
    k = 1
    mean_projected = codec.contribution_table(k).mean(dim=0)
    difference = codec.quantizer_output(codes, {k: "mean"}) - codec.quantizer_output(codes, {k: "zero"})
    torch.testing.assert_close(
        difference, mean_projected[:, None].expand_as(difference), atol=1e-4, rtol=1e-4
    )


def test_swapping_all_codebooks_equals_the_source(codec, clips) -> None:
    codes_a, codes_b = codec.encode(clips)
    everything = list(range(codec.n_codebooks))
    swapped, info = swap_codes(codec, codes_a, codes_b, everything, "truncate")
    n = min(len(codes_a), len(codes_b))
    np.testing.assert_array_equal(swapped, codes_a[:n])
    assert np.array_equal(codec.decode(swapped).samples, codec.decode(codes_a[:n]).samples)
    none_swapped, _ = swap_codes(codec, codes_a, codes_b, [], "truncate")
    np.testing.assert_array_equal(none_swapped, codes_b[:n])
    partial, _ = swap_codes(codec, codes_a, codes_b, [1, 2], "dtw")
    assert partial.shape == codes_b.shape
    np.testing.assert_array_equal(partial[:, [0, 3]], codes_b[:, [0, 3]])


def test_dtw_of_a_sequence_with_itself_is_the_identity() -> None:
    emb = np.random.default_rng(0).standard_normal((30, 8))
    np.testing.assert_array_equal(dtw_frame_map(emb, emb), np.arange(30))
    stretched = np.repeat(emb, 2, axis=0)
    np.testing.assert_array_equal(dtw_frame_map(emb, stretched), np.repeat(np.arange(30), 2))


def test_bad_codebooks_and_codes_are_clear_errors(codec, clips) -> None:
    codes = codec.encode(clips[:1])[0]
    with pytest.raises(OutOfRangeError, match=f"0..{codec.n_codebooks - 1}"):
        codec.decode(codes, {codec.n_codebooks: "zero"})
    with pytest.raises(UnknownNameError, match="zero, mean"):
        codec.decode(codes, {0: "code0"})
    with pytest.raises(BadInputError, match="shape"):
        codec.decode(codes[:, :2])
    with pytest.raises(BadInputError, match="must lie in"):
        codec.decode(codes + codec.codebook_size)
