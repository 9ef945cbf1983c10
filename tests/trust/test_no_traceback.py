"""Items 9-11: codes files are validated, the CLI never shows a traceback (input error: one line, exit 2;
internal error: one line naming a log with the traceback, exit 1), eval exits non-zero when nothing could be
scored, unknown model ids say so, user manifest fields reach items.csv, rows without text are not failed, and
--max-new-tokens N gives N frames."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from tts_interp.core.errors import BadInputError, UnknownNameError
from tts_interp.evals.items import EvalItem, read_manifest
from tts_interp.evals.score_config import missing_fields
from tts_interp.interventions.talker.prompts import load_codes
from tts_interp.models.qwen3_tts.prompt import PromptRequest
from tts_interp.models.qwen3_tts.runs import generate
from tts_interp.models.qwen3_tts.settings import GenerationSettings
from tts_interp.models.registry import family_of

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "speech"


@pytest.mark.parametrize("make", ["npz", "strings", "float", "truncated", "3d", "range", "object"])
def test_bad_codes_files_fail_with_one_clear_line(voicedesign, tmp_path, make):
    path = tmp_path / ("c.npz" if make == "npz" else "c.npy")
    good = np.zeros((4, 16), np.int64)
    if make == "npz":
        np.savez(path, codes=good)
    elif make == "strings":
        np.save(path, np.array([["a"] * 16] * 4))
    elif make == "float":
        np.save(path, good.astype(np.float32) + 0.7)
    elif make == "truncated":
        np.save(path, good)
        path.write_bytes(path.read_bytes()[:100])
    elif make == "3d":
        np.save(path, good[None])
    elif make == "range":
        np.save(path, good + 5000)
    else:
        np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(BadInputError, match=str(path.name) if make in ("npz", "truncated", "object") else "codes"):
        load_codes(path, voicedesign.adapter)


def test_unknown_model_id_says_unknown_model(tmp_path):
    with pytest.raises(UnknownNameError, match="unknown model 'nope'"):
        family_of("nope")


def test_cli_input_error_is_one_line_exit_2(cli, tmp_path):
    code, _, err = cli("hspace", "edit", "-m", "nope", "--out", str(tmp_path / "o"), "--text", "hi")
    assert code == 2 and "unknown model 'nope'" in err and "Traceback" not in err
    assert len([line for line in err.splitlines() if line.strip()]) == 1


def test_cli_internal_error_is_one_line_naming_a_log_exit_1(cli, monkeypatch, tmp_path):
    from tts_interp.cli import model_cmds

    def boom(*args, **kwargs):
        raise RuntimeError("deep inside torch")

    monkeypatch.setattr(model_cmds, "builtin_models", boom)
    monkeypatch.setenv("TTS_INTERP_CACHE", str(tmp_path))
    code, _, err = cli("models")
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 1 and len(lines) == 1 and "Traceback" not in err and "RuntimeError" in err
    log = Path(err.split("traceback in ")[1].split()[0].rstrip(").;,"))
    assert log.is_file() and "deep inside torch" in log.read_text() and "Traceback" in log.read_text()


def test_eval_exits_non_zero_when_nothing_parses_or_every_item_failed(cli, tmp_path):
    garbage = tmp_path / "garbage.jsonl"
    garbage.write_text("this is not json\n{also not\n")
    code, _, err = cli("eval", "--manifest", str(garbage), "--out", str(tmp_path / "o1"), "--scorers", "prosody")
    assert code == 2 and "no row" in err
    missing = tmp_path / "missing.jsonl"
    missing.write_text(json.dumps({"id": "a", "audio": "nowhere.wav"}) + "\n")
    code, _, err = cli("eval", "--manifest", str(missing), "--out", str(tmp_path / "o2"), "--scorers", "prosody")
    assert code != 0 and "every item failed" in err
    assert (tmp_path / "o2" / "items.csv").is_file()  # what was computed is still written


def test_user_fields_reach_items_csv_and_rows_without_text_are_not_failed(cli, tmp_path):
    clip = FIXTURES / "kokoro_jm_kumo_s1.flac"
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(json.dumps({"id": "a", "audio": str(clip), "kind": "edit", "pair": 3, "w": 0.5,
                                    "labels": ["x", "y"]}) + "\n")
    entries = read_manifest(manifest)
    assert isinstance(entries[0], EvalItem) and entries[0].fields["pair"] == 3
    assert missing_fields(entries[0], ("asr", "prosody")) == []
    code, _, err = cli("eval", "--manifest", str(manifest), "--out", str(tmp_path / "o"), "--scorers", "prosody")
    assert code == 0, err
    rows = list(csv.DictReader((tmp_path / "o" / "items.csv").open()))
    assert rows[0]["status"] == "ok" and rows[0]["kind"] == "edit" and rows[0]["pair"] == "3"
    assert json.loads(rows[0]["labels"]) == ["x", "y"] and rows[0]["wer"] == ""


def test_max_new_tokens_is_the_most_frames(voicedesign):
    prompt = voicedesign.adapter.prepare(PromptRequest("hello world", instruct="a calm voice"))
    for n in (1, 5):
        run = generate(voicedesign.engine, voicedesign.adapter, prompt, GenerationSettings(max_new_tokens=n,
                                                                                          greedy=True))
        assert run.codes.shape[0] == n  # the tiny model does not stop early at these lengths
