"""The mission (what `make demo` runs) end to end on a small grid, from a relative output folder as the demo uses.

A regression test: the demo once wrote manifest paths relative to the working directory while the eval harness
reads them relative to the manifest, so every cell was scored as a missing file (n = 0) without any error.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest


def test_the_mission_scores_every_cell_from_a_relative_output_folder(private_cache: None, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from tts_interp.interventions.kokoro.mission import MissionConfig, run_mission
    from tts_interp.report.html_report import build_report

    monkeypatch.chdir(tmp_path)
    config = MissionConfig(voices_per_set=1, alphas=(0.5,), direction_texts=("Please bring the green folder.",),
                           eval_texts=("She sells fresh bread at the market.",))
    result = run_mission(config, Path("runs/mission"))

    rows = list(csv.DictReader((tmp_path / "runs/mission/eval/items.csv").open()))
    assert [r["id"] for r in rows] == ["plain-0", "site-0.5-0", "style-0.5-0"]
    assert all(r["status"] == "ok" for r in rows), [r["error"] for r in rows]
    assert [cell["n"] for cell in result.cells] == [1, 1, 1]
    plain = next(r for r in rows if r["id"] == "plain-0")
    assert float(plain["word_errors"]) <= 1  # real speech: the words survive the plain run

    page = build_report(Path("runs/mission")).read_text()
    assert "<h2>mission</h2>" in page
    for cell in ("plain-0", "site-0.5-0", "style-0.5-0"):
        assert f"cells/{cell}/audio.wav" in page  # each scored clip has its player, referenced relative to the page
