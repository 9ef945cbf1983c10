"""Kokoro's machinery on its real weights: voices, text, sites, selections, writes, determinism, provenance."""

from __future__ import annotations

import json

import pytest
import torch

from tts_interp.core.errors import BadInputError, UnknownNameError
from tts_interp.data.alignments import phoneme_labels_at_hop, read_lab
from tts_interp.interventions.kokoro.session import write_run
from tts_interp.models.kokoro.runs import synthesize
from tts_interp.tracing.engine import Read
from tts_interp.tracing.ops import Write
from tts_interp.tracing.selection import Selection

TEXT = "Good morning."


def test_voices_are_labelled_from_their_names(kokoro):
    infos = {v.name: v for v in kokoro.adapter.voices()}
    assert len(infos) == 54
    english = [v for v in infos.values() if v.language in ("en-us", "en-gb")]
    assert sum(v.gender == "female" for v in english) == 15 and sum(v.gender == "male" for v in english) == 13
    assert (infos["af_heart"].language, infos["af_heart"].gender) == ("en-us", "female")
    assert (infos["bm_george"].accent, infos["bm_george"].gender) == ("British English", "male")


@pytest.mark.parametrize(("text", "voice", "message"), [
    ("", "af_heart", "text is empty"),
    ("?!", "af_heart", "yields no phonemes"),
    (TEXT, "af_nobody", "unknown voice 'af_nobody'; valid: af_alloy"),
    (TEXT, "af_heart:x", "is not a number"),
    (TEXT, "af_heart:1,am_adam:-1", "sum to 0"),
])
def test_bad_input_is_one_clear_line(kokoro, text, voice, message):
    with pytest.raises((BadInputError, UnknownNameError), match=message.replace("?", r"\?")):
        kokoro.adapter.prepare_chunks(text, voice)


def test_long_text_is_split_at_sentences_and_a_long_sentence_refused(kokoro):
    sentence = "This sentence is here to make the text longer than one forward can take. "
    prompts = kokoro.adapter.prepare_chunks(sentence * 12, "af_heart")
    assert len(prompts) > 1 and all(p.length - 2 <= 510 for p in prompts)
    with pytest.raises(BadInputError, match="at most 510"):
        kokoro.adapter.prepare_chunks(sentence.replace(".", ",") * 12, "af_heart")


def test_same_seed_is_bit_identical_and_the_seed_matters(kokoro):
    prompts = kokoro.adapter.prepare_chunks(TEXT, "af_heart")
    first, again, other = (synthesize(kokoro.engine, kokoro.adapter, prompts, seed) for seed in (3, 3, 4))
    assert torch.equal(first.audio, again.audio)
    assert not torch.equal(first.audio, other.audio)


def test_a_mix_is_the_weighted_mean_of_tables(kokoro):
    mixed = kokoro.adapter.style_table("af_heart:0.7,am_michael:0.3")
    tables = kokoro.adapter.tables
    assert torch.allclose(mixed, 0.7 * tables["af_heart"] + 0.3 * tables["am_michael"], atol=1e-6)


def test_a_style_write_leaves_the_prompt_and_the_next_run_alone(kokoro):
    prompts = kokoro.adapter.prepare_chunks(TEXT, "af_heart")
    before = prompts[0].ref_s.clone()
    plain = synthesize(kokoro.engine, kokoro.adapter, prompts, 0)
    synthesize(kokoro.engine, kokoro.adapter, prompts, 0, writes=[Write("style.timbre", "replace", torch.zeros(128))])
    assert torch.equal(prompts[0].ref_s, before) and torch.equal(synthesize(kokoro.engine, kokoro.adapter, prompts, 0).audio, plain.audio)


def test_zero_strength_and_reads_leave_the_audio_unchanged(kokoro):
    prompts = kokoro.adapter.prepare_chunks(TEXT, "af_heart")
    plain = synthesize(kokoro.engine, kokoro.adapter, prompts, 0)
    sites = list(kokoro.adapter.sites())
    traced = synthesize(kokoro.engine, kokoro.adapter, prompts, 0, [Read(s) for s in sites])
    steered = synthesize(kokoro.engine, kokoro.adapter, prompts, 0, writes=[Write("decoder.decode.1", "add", torch.randn(1024), alpha=0.0)])
    assert torch.equal(plain.audio, traced.audio) and torch.equal(plain.audio, steered.audio)
    frames = int(plain.durations[0].sum())
    assert traced.store.get("decoder.decode.1").values.shape == (frames, 1024)
    assert traced.store.get("decoder.decode.3").values.shape == (2 * frames, 512)
    assert traced.store.get("plbert.layer.11").values.shape == (prompts[0].length, 768)


def test_word_selection_reads_the_frames_its_durations_cover(kokoro):
    prompts = kokoro.adapter.prepare_chunks("Good morning, friend.", "af_heart")
    word = prompts[0].to_json()["words"][1]  # "morning,"
    run = synthesize(kokoro.engine, kokoro.adapter, prompts, 0, [Read("decoder.decode.1", Selection(segments=("word.1",))),
                                  Read("bert_encoder", Selection(positions=(1, 3)))])
    first, last = word["positions"]
    frames = int(run.durations[0][first:last + 1].sum())
    rows = run.store.get("decoder.decode.1")
    assert rows.values.shape[0] == frames and {r.position for r in rows.rows} <= set(range(first, last + 1))
    assert [r.position for r in run.store.get("bert_encoder").rows] == [1, 2]


def test_writes_on_a_selection_change_only_what_follows(kokoro):
    prompts = kokoro.adapter.prepare_chunks("Good morning, friend.", "af_heart")
    plain = synthesize(kokoro.engine, kokoro.adapter, prompts, 0, [Read("decoder.decode.1")])
    write = Write("decoder.decode.1", "project_out", torch.randn(1024), Selection(frames=(0, 5)))
    edited = synthesize(kokoro.engine, kokoro.adapter, prompts, 0, [Read("decoder.decode.1")], writes=[write])
    before, after = plain.store.get("decoder.decode.1").values, edited.store.get("decoder.decode.1").values
    assert not torch.equal(before[:5], after[:5]) and torch.equal(before[5:], after[5:])
    assert not torch.equal(plain.audio, edited.audio)


def test_patching_every_site_from_a_reproduces_a(kokoro, tmp_path, monkeypatch):
    """`tts-interp patch` on Kokoro (no teacher forcing: whole sites swapped between two runs)."""
    from typer.testing import CliRunner

    import tts_interp as ti
    from tts_interp.api.model import Model
    from tts_interp.cli import patch_cmd
    from tts_interp.cli.app import app

    monkeypatch.setattr(patch_cmd, "load", lambda *args, **kwargs: Model(kokoro))
    result = CliRunner().invoke(app, ["patch", "-m", "kokoro-82m", "-t", TEXT, "--source-voice", "am_michael",
                                      "--voice", "af_heart", "--sites", "style.timbre,decoder.generator.conv_post",
                                      "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    audio = {name: (tmp_path / name / "audio.wav").read_bytes()
             for name in ("source", "target", "cells/all", "cells/decoder.generator.conv_post", "cells/style.timbre")}
    assert json.loads((tmp_path / "result.json").read_text())["all_sites_reproduce_source"] is True
    assert audio["cells/all"] == audio["source"] == audio["cells/decoder.generator.conv_post"]  # the last site
    assert audio["target"] != audio["source"] and audio["cells/style.timbre"] != audio["target"]
    import tts_interp.api.model as api_model

    monkeypatch.setattr(api_model, "load", lambda *args, **kwargs: Model(kokoro))
    target = json.loads((tmp_path / "target" / "result.json").read_text())
    assert target["config"]["settings"]["durations"] == target["durations"]  # it ran on the source's durations
    again = ti.replay(tmp_path / "target" / "result.json", tmp_path / "again")  # so its replay forces them too
    assert again["identical_audio"] is True


def test_a_run_records_provenance_and_its_alignment(kokoro, tmp_path):
    run = synthesize(kokoro.engine, kokoro.adapter, kokoro.adapter.prepare_chunks("Good morning, friend.", "af_heart"), 0)
    payload = write_run(tmp_path, kokoro, run)
    saved = json.loads((tmp_path / "result.json").read_text())
    assert saved["provenance"]["weights"] == "int8-dequantized" and len(saved["provenance"]["onnx_sha256"]) == 64
    assert saved["config"]["voice"] == "af_heart" and saved["chunks"][0]["language"] == "en-us"
    intervals = read_lab(tmp_path / "alignment.lab")
    assert intervals[-1].end == pytest.approx(payload["audio_seconds"], abs=1e-6)
    labels = phoneme_labels_at_hop(tmp_path / "alignment.lab", 0.02)
    assert len(labels) == round(payload["audio_seconds"] / 0.02)
    assert labels[0] is None and any(label == "ɡ" for label in labels)


def test_kokoro_steers_through_the_neutral_run_hook(kokoro, tmp_path):
    """Direction, steering and run dirs go through the family-neutral code (the `run` hook): a direction read by
    `run_direction` from two voices, then `site_writes` at strength 0 is the plain run bit for bit, and >0 is not."""
    from tts_interp.interventions.directions.experiment import run_direction
    from tts_interp.interventions.kokoro.experiments import steer_writes
    from tts_interp.interventions.running import prepare_checked
    from tts_interp.interventions.steering.writes import direction_scale, site_writes
    from tts_interp.models.kokoro.hook import KokoroRequest, KokoroSettings

    adapter, site = kokoro.adapter, "decoder.generator.conv_post"
    assert "run" in adapter.capabilities
    found, _ = run_direction(kokoro, [KokoroRequest(TEXT, "am_michael")], [KokoroRequest(TEXT, "af_heart")], [site],
                             Selection(), "mean_diff", tmp_path / "direction", pool_runs=True)
    prompt = prepare_checked(adapter, KokoroRequest(TEXT, "af_heart"))
    plain = adapter.run(kokoro.engine, prompt, KokoroSettings(3))
    assert torch.equal(plain.audio, synthesize(kokoro.engine, kokoro.adapter, kokoro.adapter.prepare_chunks(TEXT, "af_heart"), 3).audio)
    zero = site_writes(found, [site], 0.0, "add", Selection(), direction_scale(found, [site]))
    assert [w.to_json() for w in zero] == [w.to_json() for w in steer_writes(found, [site], 0.0)]
    assert torch.equal(adapter.run(kokoro.engine, prompt, KokoroSettings(3), writes=zero).audio, plain.audio)
    steered = adapter.run(kokoro.engine, prompt, KokoroSettings(3), writes=steer_writes(found, [site], 1.0))
    assert not torch.equal(steered.audio, plain.audio)
    payload = adapter.write_run(tmp_path / "run", steered, {"prompt": prompt.request.to_json()}, {"alpha": 1.0})
    assert payload["config"]["voice"] == "af_heart" and payload["writes"][0]["site"] == site
