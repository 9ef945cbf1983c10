"""The report in a real browser (headless Chromium): no console errors, every audio clip and image loads,
and clicking a header sorts the table. Screenshots go to test-artifacts/ (see tests/report/browser.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tts_interp.report.html_report import build_report

from .browser import column_values, load, screenshot, start_chromium


@pytest.fixture(scope="module")
def chromium():
    driver = start_chromium()
    yield driver
    driver.quit()


def _assert_page_loads(state: dict, min_audio: int, min_images: int) -> None:
    severe = [e for e in state["console"] if e.get("level") == "SEVERE"]
    assert not severe, f"console errors: {severe}"
    assert len(state["audio"]) >= min_audio and len(state["images"]) >= min_images
    broken = [a for a in state["audio"] if not (a["duration"] or 0) > 0 or a["error"] is not None]
    assert not broken, f"audio that did not load: {broken[:5]}"
    assert all(i["complete"] and i["width"] > 0 for i in state["images"]), state["images"]


def test_a_folder_of_runs_loads_and_sorts_in_chromium(chromium, steer_eval_dir: Path, lens_dir: Path,
                                                      suite_dir: Path) -> None:
    page = build_report(steer_eval_dir.parent)  # steer, its eval, lens and a suite: one page
    state = load(chromium, page)
    _assert_page_loads(state, min_audio=21, min_images=3)  # each clip once; shared reference clips listed once
    ascending = [float(v) for v in column_values(chromium, "identity_shift") if v]
    assert len(ascending) == 4 and ascending == sorted(ascending)
    descending = [float(v) for v in column_values(chromium, "identity_shift") if v]
    assert descending == sorted(ascending, reverse=True)
    shot = screenshot(chromium, "report-runs.png")
    assert shot.stat().st_size > 10_000


def test_embedded_audio_plays_without_the_run_folder(chromium, steer_dir: Path, tmp_path: Path) -> None:
    page = build_report(steer_dir, tmp_path / "elsewhere" / "steer.html", embed_audio_below=10_000_000)
    state = load(chromium, page)
    _assert_page_loads(state, min_audio=8, min_images=0)
    assert all(a["src"].startswith("data:audio/wav") for a in state["audio"])
    screenshot(chromium, "report-steer-embedded.png")
