"""Activation stores round-trip; built-ins are real checkpoint directories loaded like real weights."""

from __future__ import annotations

import json

import torch

from tests.conftest import same_codes
from tts_interp.interventions.session import Session
from tts_interp.models.qwen3_tts.prompt import PromptRequest
from tts_interp.models.qwen3_tts.runs import generate
from tts_interp.models.qwen3_tts.settings import GenerationSettings
from tts_interp.tracing.engine import Read
from tts_interp.tracing.store import DiskStore, load_site


def test_disk_store_streams_shards_and_matches_memory(voicedesign, tmp_path):
    adapter, engine = voicedesign.adapter, voicedesign.engine
    prompt = adapter.prepare(PromptRequest(text="hello world", instruct="fast"))
    settings = GenerationSettings(max_new_tokens=10, seed=1)
    reads = [Read("talker.layer.*.resid_out"), Read("code_predictor.layer.1.attn_out")]
    in_memory = generate(engine, adapter, prompt, settings, reads=reads)
    on_disk = generate(engine, adapter, prompt, settings, reads=reads,
                       store=DiskStore(tmp_path / "acts", shard_mb=0.01))
    index = json.loads((tmp_path / "acts" / "index.json").read_text())
    assert index["shards"] > 3 and len(list((tmp_path / "acts").glob("shard-*.safetensors"))) == index["shards"]
    assert same_codes(in_memory.codes, on_disk.codes)
    for site in in_memory.store.sites():
        expected, loaded = in_memory.store.get(site), load_site(tmp_path / "acts", site)
        assert torch.equal(expected.values, loaded.values) and expected.rows == loaded.rows


def test_builtin_is_a_real_checkpoint_loadable_as_a_directory(voicedesign):
    checkpoint = voicedesign.adapter.checkpoint
    for name in ("config.json", "model.safetensors", "generation_config.json", "vocab.json", "merges.txt",
                 "tokenizer_config.json", "speech_tokenizer/config.json", "speech_tokenizer/model.safetensors",
                 "speech_tokenizer/preprocessor_config.json"):
        assert (checkpoint / name).is_file(), name
    by_path = Session(str(checkpoint), "cpu")
    settings = GenerationSettings(max_new_tokens=6, seed=9)
    request = PromptRequest(text="hello world", instruct="fast")
    a = generate(voicedesign.engine, voicedesign.adapter, voicedesign.adapter.prepare(request), settings)
    b = generate(by_path.engine, by_path.adapter, by_path.adapter.prepare(request), settings)
    assert same_codes(a.codes, b.codes)
    state = voicedesign.adapter.model.state_dict()
    for key, value in by_path.adapter.model.state_dict().items():
        assert torch.equal(value, state[key]), key


def test_whole_activation_labels_are_a_template_and_count_and_read_back_as_rows(tmp_path):
    """A whole-activation read is stored as one template label and a count (format /2), written by the writer
    thread in small shards, and reads back as exactly the rows one label each would give; /1 rows still load."""
    from tts_interp.tracing.clock import Positions, Row
    from tts_interp.tracing.store import FORMAT, MemoryStore

    template = Row(None, 3, None, step=2, t=0.5)
    values = torch.arange(40.0).reshape(8, 5)
    strided = values.t().contiguous().t()  # same values, another layout: the store copies it contiguous
    disk, memory = DiskStore(tmp_path / "acts", shard_mb=1e-4), MemoryStore()
    for store in (disk, memory):
        store.add("decoder.x", strided, Positions(template, 8))
        store.add("decoder.x", values[:2], (Row(9, 1, None), Row(10, 1, None)))
        store.close()
    index = json.loads((tmp_path / "acts" / "index.json").read_text())
    assert index["format"] == FORMAT and index["shards"] == 2
    assert index["sites"]["decoder.x"][0]["count"] == 8 and "rows" not in index["sites"]["decoder.x"][0]
    expected = [Row(i, 3, None, 2, 0.5) for i in range(8)] + [Row(9, 1, None), Row(10, 1, None)]
    for read in (load_site(tmp_path / "acts", "decoder.x"), memory.get("decoder.x")):
        assert read.rows == expected and torch.equal(read.values, torch.cat([values, values[:2]]))
    assert list(Positions(template, 3))[::2] == Positions(template, 3)[::2] and Positions(template, 3)[-1].position == 2
