"""Item 8: every codebook of every tiny codec contributes (EnCodec's codebooks 16 and up had norms ~1e-13, so
ablating them changed nothing), and ablating the last codebook removes exactly its contribution."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tts_interp.codecs import load_codec

from .conftest import voiced_clip


@pytest.mark.parametrize("name", ["tiny-qwen12hz", "tiny-mimi", "tiny-encodec"])
def test_every_codebook_contributes_and_the_last_one_ablates_exactly(name: str) -> None:
    codec = load_codec(name)
    codes = codec.encode([voiced_clip(150.0, ["a", "i", "a"], 0.2, codec.sample_rate, 0)])[0]
    first = codec.contribution_table(0)[torch.from_numpy(codes[:, 0])].abs().max()
    for k in range(codec.n_codebooks):
        contribution = codec.contribution_table(k)[torch.from_numpy(codes[:, k])]
        assert contribution.abs().max() > 1e-3 * first, (name, k, float(contribution.abs().max()))
    last = codec.n_codebooks - 1
    full, ablated = codec.quantizer_output(codes), codec.quantizer_output(codes, {last: "zero"})
    torch.testing.assert_close(full - ablated, codec.contribution_table(last)[torch.from_numpy(codes[:, last])].T,
                               atol=1e-4, rtol=1e-4)
    # in the audio too: removing the last codebook changes it by at least 1% of what removing the first does
    plain = codec.decode(codes).samples
    change = {k: np.abs(plain - codec.decode(codes, {k: "zero"}).samples).max() for k in (0, last)}
    assert change[last] > 0.01 * change[0], (name, change)
