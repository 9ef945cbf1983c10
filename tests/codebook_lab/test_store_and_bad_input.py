"""Encoding a dataset: the per-utterance cache, and bad audio skipped with reasons while the batch goes on."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from tts_interp.codecs.store import CodesCache, encode_dataset
from tts_interp.data.datasets import load_dataset

from .conftest import voiced_clip


def _bad_dataset(root: Path) -> Path:
    good = voiced_clip(150.0, ["a", "i"], 0.3, 16000, 0)
    sf.write(root / "good.wav", good, 16000)
    sf.write(root / "stereo.wav", np.stack([good, good], axis=1), 16000)
    sf.write(root / "silent.wav", np.zeros(16000, dtype=np.float32), 16000)
    sf.write(root / "empty.wav", np.zeros(0, dtype=np.float32), 16000)
    np.save(root / "nan.npy", np.array([np.nan]))
    nan = good.copy()
    nan[100] = np.nan
    sf.write(root / "nan.wav", nan, 16000, subtype="FLOAT")
    (root / "broken.wav").write_bytes(b"RIFF not really a wave file")
    rows = [
        "path,speaker",
        "good.wav,a",
        "stereo.wav,a",
        "silent.wav,b",
        "empty.wav,b",
        "nan.wav,b",
        "broken.wav,c",
        "ghost.wav,c",
    ]
    (root / "manifest.csv").write_text("\n".join(rows) + "\n")
    return root


def test_bad_items_are_skipped_with_reasons_and_the_rest_encodes(qwen, tmp_path: Path) -> None:
    dataset = load_dataset(_bad_dataset(tmp_path))
    encoded = encode_dataset(qwen, dataset, CodesCache(qwen, tmp_path / "cache"), batch_size=2)
    assert [i.utterance.utt_id for i in encoded.items] == ["good", "stereo"]
    reasons = {
        s["item"].split(" ")[0].split(".")[0] if "row" in s["item"] else s["item"]: s["reason"]
        for s in encoded.skipped
    }
    assert "silent" in reasons["silent"] and "empty" in reasons["empty"] and "NaN" in reasons["nan"]
    assert "cannot be read" in reasons["broken"] and "does not exist" in reasons["manifest"]
    assert encoded.notes == [{"item": "stereo", "note": "2 channels, downmixed to mono"}]
    np.testing.assert_array_equal(encoded.items[0].codes, encoded.items[1].codes)


def test_rerun_reads_codes_from_the_cache(qwen, tone_dataset: Path, tmp_path: Path) -> None:
    dataset = load_dataset(tone_dataset)
    cache = CodesCache(qwen, tmp_path)
    first = encode_dataset(qwen, dataset, cache)
    assert first.cached == 0 and len(first.items) == 9
    again = encode_dataset(qwen, dataset, cache)
    assert again.cached == 9
    for a, b in zip(first.items, again.items, strict=True):
        np.testing.assert_array_equal(a.codes, b.codes)
    cache.update(first.items[0].key, extra=np.arange(3))
    assert set(cache.get(first.items[0].key)) == {"codes", "extra"}
