"""Items 1-2 for suites: results are tied to the audio's content, not its path; failed rows can be retried and
`status` says how many failed and why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_suite_runner import _write_suite  # the folder has no __init__: pytest puts it on sys.path

from tts_interp.core.errors import BadInputError
from tts_interp.suites.runner import run_suite, suite_report, suite_status
from tts_interp.suites.spec import load_suite
from tts_interp.suites.store import ResultWriter, read_rows


def test_changed_audio_bytes_at_the_same_path_are_not_reused(tmp_path: Path) -> None:
    suite = _write_suite(tmp_path, ["prosody"])
    out = tmp_path / "out"
    run_suite(suite, out, (0, 5))
    clip = tmp_path / "clips" / "kokoro_jm_kumo_s1.flac"
    clip.write_bytes((tmp_path / "clips" / "kokoro_jf_alpha_s1.flac").read_bytes())
    with pytest.raises(BadInputError, match="kokoro_jm_kumo_s1"):
        run_suite(suite, out, (0, 5))


def test_failed_rows_are_retried_on_request_and_status_says_why(tmp_path: Path) -> None:
    suite = _write_suite(tmp_path, ["prosody"])
    out = tmp_path / "out"
    items = load_suite(suite).items
    first = run_suite(suite, out, (0, 1))
    assert first["n_scored_now"] == 10
    # an earlier run's failure (e.g. out of memory) stands in the results file for one item
    victim = items[0].id
    rows, _ = read_rows(out)
    results = out / "results" / "shard-0-of-1.jsonl"
    results.write_text("".join(json.dumps({**r, "status": "failed", "error": "out of memory"} if r["work_id"] == victim
                                          else r) + "\n" for r in rows))
    status = suite_status(out)
    assert status["n_failed"] == 1 and status["failed_reasons"] == {"out of memory": 1}
    assert run_suite(suite, out, (0, 1))["n_scored_now"] == 0  # failed rows count as finished by default
    again = run_suite(suite, out, (0, 1), retry_failed=True)
    assert again["n_scored_now"] == 1 and again["n_retried"] == 1
    status = suite_status(out)
    assert status["n_failed"] == 0 and status["n_done"] == 10 and status["failed_reasons"] == {}
    report = suite_report(out)
    assert report["aggregates"]["n_failed"] == 0
    assert len((out / "items.csv").read_text().splitlines()) == 11


def test_a_later_row_replaces_a_failed_one_only(tmp_path: Path) -> None:
    writer = ResultWriter(tmp_path, (0, 1))
    for row in ({"work_id": "a", "status": "failed", "error": "x"}, {"work_id": "a", "status": "ok"},
                {"work_id": "b", "status": "ok"}, {"work_id": "b", "status": "failed", "error": "y"}):
        writer.append(row)
    writer.close()
    rows, dropped = read_rows(tmp_path)
    assert {r["work_id"]: r["status"] for r in rows} == {"a": "ok", "b": "ok"}
    assert dropped["retried_rows"] == 1 and dropped["duplicate_rows"] == 1
