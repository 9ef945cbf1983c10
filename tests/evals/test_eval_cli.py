"""`tts-interp eval` end to end: items.csv columns, result.json contents, one-line errors."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

from speech_data import clip, voice_clips
from typer.testing import CliRunner

from tts_interp.cli.app import app

REQUIRED_COLUMNS = {"id", "wer", "cer", "similarity", "identity_shift", "f0_shift_semitones", "status"}


def test_eval_writes_items_csv_and_result_json(tmp_path: Path) -> None:
    rows = [{"id": "morph-50", "audio": str(clip("morph_jf_alpha_to_jm_kumo_w050.flac")),
             "text": "These days a chicken leg is a rare dish.",
             "source": {"speaker": "alpha", "clips": [str(p) for p in voice_clips("jf_alpha")]},
             "target": {"speaker": "kumo", "clips": [str(p) for p in voice_clips("jm_kumo")]}},
            {"id": "nezumi", "audio": str(clip("kokoro_jf_nezumi_s3.flac")),
             "text": "It is easy to tell the depth of a well.",
             "reference": {"speaker": "nezumi", "clips": [str(p) for p in voice_clips("jf_nezumi")[:2]]}}]
    manifest = tmp_path / "m.jsonl"
    manifest.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    result = CliRunner().invoke(app, ["eval", "--manifest", str(manifest), "--out", str(tmp_path / "out"),
                                      "--device", "cpu", "--normalizer", "seed-tts"])
    assert result.exit_code == 0, result.output
    with open(tmp_path / "out" / "items.csv") as handle:
        reader = csv.DictReader(handle)
        assert REQUIRED_COLUMNS <= set(reader.fieldnames or [])
        items = {r["id"]: r for r in reader}
    assert items["morph-50"]["identity_shift"] != "" and items["morph-50"]["similarity"] == ""
    assert items["nezumi"]["similarity"] != "" and items["nezumi"]["identity_shift"] == ""
    payload = json.loads((tmp_path / "out" / "result.json").read_text())
    assert payload["backends"]["normalizer"] == "seed-tts"
    assert payload["backends"]["speaker"]["name"] == "resemblyzer" and payload["backends"]["asr"]["loaded"]
    assert payload["verifier_calibration"]["available"] and payload["verifier_calibration"]["n_speakers"] == 3
    for key in ("wer_corpus", "similarity_mean", "identity_shift_mean", "clone_acceptance_rate"):
        assert "n" in payload["aggregates"][key] and "ci95" in payload["aggregates"][key]


def test_unknown_backend_is_one_clear_line(tmp_path: Path) -> None:
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(json.dumps({"id": "a", "audio": "a.flac"}) + "\n")
    done = subprocess.run([sys.executable, "-c", "from tts_interp.cli.app import main; main()", "eval",
                           "--manifest", str(manifest), "--out", str(tmp_path / "o"), "--speaker", "xvec"],
                          capture_output=True, text=True, env={"PYTHONPATH": str(Path(__file__).parents[2] / "src"),
                                                               "PATH": "/usr/bin:/bin"})
    assert done.returncode == 2
    assert "unknown speaker backend 'xvec'; valid: resemblyzer, dvector, ecapa, wavlm-sv" in done.stderr
    assert "Traceback" not in done.stderr


def test_default_scorers_follow_each_rows_fields(tmp_path: Path) -> None:
    """An ASR-only manifest (id, audio, text) with the default scorers: every row scored for WER, none failed, and
    the summary says speaker similarity was not scored for want of a reference; asked for explicitly, the speaker
    scorer still fails such rows (the user asked for something the rows cannot give)."""
    rows = [{"id": f"r{k}", "audio": str(clip(name)), "text": text} for k, (name, text) in enumerate([
        ("kokoro_jf_nezumi_s3.flac", "It is easy to tell the depth of a well."),
        ("librivox_two_cities_1.flac", None)])]
    manifest = tmp_path / "m.jsonl"
    manifest.write_text("\n".join(json.dumps({k: v for k, v in r.items() if v}) for r in rows) + "\n")
    result = CliRunner().invoke(app, ["eval", "--manifest", str(manifest), "--out", str(tmp_path / "out"),
                                      "--device", "cpu"])
    assert result.exit_code == 0, result.output
    with open(tmp_path / "out" / "items.csv") as handle:
        items = {r["id"]: r for r in csv.DictReader(handle)}
    assert {r["status"] for r in items.values()} == {"ok"} and items["r0"]["wer"] != ""
    payload = json.loads((tmp_path / "out" / "result.json").read_text())
    assert payload["not_scored"]["speaker"]["rows"] == 2 and payload["not_scored"]["asr"]["rows"] == 1
    assert payload["config"]["per_row"] is True
    strict = CliRunner().invoke(app, ["eval", "--manifest", str(manifest), "--out", str(tmp_path / "strict"),
                                      "--device", "cpu", "--scorers", "speaker,asr"])
    assert strict.exit_code != 0 and "needs field 'reference'" in str(strict.exception)
