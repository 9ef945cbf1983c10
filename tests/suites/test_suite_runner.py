"""Suites: stable ids, a SIGKILLed run resumes with no lost and no duplicate rows, shards merge in report."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tts_interp.core.errors import BadInputError, UnknownNameError
from tts_interp.suites.runner import run_suite, suite_report, suite_status
from tts_interp.suites.spec import in_shard, load_suite, parse_shard
from tts_interp.suites.store import ResultWriter, read_rows, shard_file

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "speech"
VOICES = ("jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro", "jm_kumo")
SRC = Path(__file__).resolve().parents[2] / "src"


def _write_suite(tmp_path: Path, scorers: list[str], extra_items: list[dict] | None = None) -> Path:
    """Ten items: each voice's s1 and s3 clips scored against that voice's s2 + s3 clips (paths relative)."""
    clips = tmp_path / "clips"
    clips.mkdir(exist_ok=True)
    for f in FIXTURES.glob("kokoro_*_s?.flac"):
        (clips / f.name).write_bytes(f.read_bytes())
    items = [{"kind": "audio", "audio": f"clips/kokoro_{v}_{s}.flac",
              "reference": {"speaker": v, "clips": [f"clips/kokoro_{v}_s2.flac", f"clips/kokoro_{v}_s3.flac"]}}
             for v in VOICES for s in ("s1", "s3")]
    suite = {"name": "voices", "seed": 3, "scoring": {"scorers": scorers, "batch_size": 1, "device": "cpu"},
             "items": items + (extra_items or [])}
    path = tmp_path / "suite.yaml"
    path.write_text(yaml.safe_dump(suite))
    return path


def test_ids_are_stable_and_unique(tmp_path: Path) -> None:
    path = _write_suite(tmp_path, ["speaker"])
    first, second = load_suite(path), load_suite(path)
    ids = [w.id for w in first.items]
    assert ids == [w.id for w in second.items] and len(set(ids)) == 10
    assert first.fingerprint() == second.fingerprint()
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    manifest = moved / "m.jsonl"
    manifest.write_text(json.dumps({"id": "named", "audio": str(FIXTURES / "kokoro_jm_kumo_s1.flac")}) + "\n")
    with_manifest = _write_suite(tmp_path, ["prosody"], [{"kind": "manifest", "path": "elsewhere/m.jsonl"}])
    assert [w.id for w in load_suite(with_manifest).items][-1] == "named"
    shards = [sum(in_shard(i, (k, 3)) for i in ids) for k in range(3)]
    assert sum(shards) == 10


def test_bad_suite_files_fail_clearly(tmp_path: Path) -> None:
    path = _write_suite(tmp_path, ["speaker"], [{"kind": "tts-run", "model": "x"}])
    with pytest.raises(UnknownNameError, match="audio, manifest"):
        load_suite(path)
    path = _write_suite(tmp_path, ["speech"])
    with pytest.raises(UnknownNameError, match="speaker, asr, prosody"):
        load_suite(path)
    with pytest.raises(BadInputError, match="i/n"):
        parse_shard("2")
    with pytest.raises(BadInputError, match="0 <= i < n"):
        parse_shard("3/3")


def test_killed_run_resumes_with_no_lost_and_no_duplicate_rows(tmp_path: Path) -> None:
    suite = _write_suite(tmp_path, ["speaker"])
    out = tmp_path / "out"
    results = shard_file(out, (0, 1))
    env = {**os.environ, "PYTHONPATH": str(SRC), "TTS_INTERP_CACHE": str(tmp_path / "fresh-cache")}
    code = f"from tts_interp.suites.runner import run_suite; run_suite({str(suite)!r}, {str(out)!r})"
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 240
    while time.time() < deadline:
        if results.is_file() and results.read_bytes().count(b"\n") >= 2:
            break
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = results.read_bytes().count(b"\n")
    assert 2 <= before < 10, "the run must be killed part way"
    assert suite_status(out)["n_pending"] == 10 - before

    summary = run_suite(suite, out)
    assert summary["n_already_done"] == before and summary["n_scored_now"] == 10 - before
    lines = results.read_text().splitlines()
    ids = [json.loads(line)["work_id"] for line in lines]
    assert len(ids) == 10 and len(set(ids)) == 10
    assert set(ids) == {w.id for w in load_suite(suite).items}
    assert run_suite(suite, out)["n_scored_now"] == 0  # a finished suite reruns as a no-op
    assert len(results.read_text().splitlines()) == 10
    status = suite_status(out)
    assert status["n_done"] == 10 and status["n_pending"] == 0 and status["duplicate_rows"] == 0


def test_shards_split_the_work_and_report_merges_them(tmp_path: Path) -> None:
    suite = _write_suite(tmp_path, ["speaker"])
    out = tmp_path / "out"
    first = run_suite(suite, out, (0, 2))
    partial = suite_report(out)
    assert not partial["complete"] and partial["n_pending"] == 10 - first["n_scored_now"]
    second = run_suite(suite, out, (1, 2))
    assert first["n_scored_now"] + second["n_scored_now"] == 10
    assert (out / "results" / "shard-0-of-2.jsonl").is_file() and (out / "results" / "shard-1-of-2.jsonl").is_file()
    report = suite_report(out)
    assert report["complete"] and report["aggregates"]["n_items"] == 10
    assert report["aggregates"]["similarity_mean"]["n"] == 10 and report["aggregates"]["similarity_mean"]["ci95"]
    # each voice's s3 clip is both a scored item and a reference clip: left out of the threshold's trials,
    # one clip per voice remains, so there is no threshold to fit (and the report says why)
    calibration = report["verifier_calibration"]
    assert not calibration["available"] and "scored items excluded" in calibration["reason"]
    assert calibration["n_clips_excluded_as_scored_items"] == 5
    csv_lines = (out / "items.csv").read_text().splitlines()
    assert len(csv_lines) == 11
    assert json.loads((out / "result.json").read_text())["command"] == "suite report"


def test_out_dir_of_another_suite_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run_suite(_write_suite(tmp_path, ["prosody"]), out, (0, 5))
    with pytest.raises(BadInputError, match="another suite"):
        run_suite(_write_suite(tmp_path, ["speaker"]), out)


def test_torn_last_line_is_dropped_and_repaired(tmp_path: Path) -> None:
    writer = ResultWriter(tmp_path, (0, 1))
    writer.append({"work_id": "a", "status": "ok"})
    writer.close()
    path = shard_file(tmp_path, (0, 1))
    with open(path, "a") as handle:
        handle.write('{"work_id": "b", "sta')  # a kill mid-write
    rows, dropped = read_rows(tmp_path)
    assert [r["work_id"] for r in rows] == ["a"] and dropped["torn_lines"] == 1
    writer = ResultWriter(tmp_path, (0, 1))
    writer.append({"work_id": "b", "status": "ok"})
    writer.close()
    rows, dropped = read_rows(tmp_path)
    assert [r["work_id"] for r in rows] == ["a", "b"] and dropped == {"torn_lines": 0, "duplicate_rows": 0, "retried_rows": 0}
