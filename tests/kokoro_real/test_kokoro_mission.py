"""The mission (what `make demo` runs) end to end on a small grid, from a relative output folder as the demo uses,
and its report in a real browser: the key figure in the first screen at 1280 px and on a phone.

A regression test: the demo once wrote manifest paths relative to the working directory while the eval harness
reads them relative to the manifest, so every cell was scored as a missing file (n = 0) without any error.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from tests.report.browser import first_screen, load, start_chromium

KEY_FIGURE_TOP = ("const f = document.querySelector('figure.key'); const r = f.getBoundingClientRect();"
                  "return {top: r.top, bottom: r.bottom, width: r.width, inner: window.innerHeight,"
                  "innerWidth: window.innerWidth, scrollWidth: document.documentElement.scrollWidth};")


@pytest.fixture(scope="module")
def mission(private_cache: None, tmp_path_factory: pytest.TempPathFactory):
    from tts_interp.api.mission import MissionConfig, run_mission

    root = tmp_path_factory.mktemp("mission")
    here = Path.cwd()
    os.chdir(root)
    try:
        config = MissionConfig(voices_per_set=1, alphas=(0.5,), direction_texts=("Please bring the green folder.",),
                               eval_texts=("She sells fresh bread at the market.",),
                               anchor_texts=("Turn left at the bakery.",))
        result = run_mission(config, Path("runs/mission"))
    finally:
        os.chdir(here)
    return result, root


def test_the_mission_scores_every_cell_from_a_relative_output_folder(mission) -> None:
    from tts_interp.report.html_report import build_report

    result, root = mission
    rows = list(csv.DictReader((root / "runs/mission/eval/items.csv").open()))
    assert [r["id"] for r in rows] == ["plain-0", "site-0.5-0", "style-0.5-0"]
    assert all(r["status"] == "ok" for r in rows), [r["error"] for r in rows]
    assert [cell["n"] for cell in result.cells] == [1, 1, 1] and not any(c["reason"] for c in result.cells)
    plain = next(r for r in rows if r["id"] == "plain-0")
    assert float(plain["word_errors"]) <= 1  # real speech: the words survive the plain run
    anchor = result.payload["anchor"]["source"]  # the shift's 0: the source voice on direction + anchor texts
    assert anchor == ["collect/af_heart-0/audio.wav", "anchor/af_heart-0/audio.wav"]
    assert result.payload["protocol"]["protocol"] == "open-set" and result.payload["protocol"]["text_protocol"] == \
        "open-set"  # af_heart and the eval text were not in the direction's fit set

    page = build_report(root / "runs/mission").read_text()
    assert "<h2>answer</h2>" in page and page.index("class=key") < page.index("settings and provenance")
    for cell in ("plain-0", "site-0.5-0", "style-0.5-0"):
        assert f"cells/{cell}/audio.wav" in page  # each scored clip has its player, referenced relative to the page


def test_the_mission_report_shows_its_answer_first_in_chromium(mission) -> None:
    from tts_interp.report.html_report import build_report

    _, root = mission
    page = build_report(root / "runs/mission")
    driver = start_chromium()
    try:
        for width, height, name in ((1280, 800, "report-mission-1280.png"), (390, 844, "report-mission-phone.png")):
            driver.set_window_size(width, height)
            state = load(driver, page)
            assert not [e for e in state["console"] if e.get("level") == "SEVERE"], state["console"]
            broken = [a for a in state["audio"] if not (a["duration"] or 0) > 0 or a["error"] is not None]
            assert state["audio"] and not broken, broken
            box = driver.execute_script(KEY_FIGURE_TOP)
            assert 0 <= box["top"] and box["bottom"] <= box["inner"], (name, box)  # the whole figure, first screen
            assert box["scrollWidth"] <= box["innerWidth"] + 1, (name, box)  # nothing wider than a phone's screen
            assert first_screen(driver, name).stat().st_size > 10_000
    finally:
        driver.quit()


def test_the_mission_refuses_an_evaluation_text_it_was_fitted_or_anchored_on(tmp_path: Path) -> None:
    from tts_interp.api.mission import (
        ANCHOR_TEXTS,
        DIRECTION_TEXTS,
        EVAL_TEXTS,
        MissionConfig,
        run_mission,
    )
    from tts_interp.core.errors import BadInputError

    assert not set(EVAL_TEXTS) & (set(DIRECTION_TEXTS) | set(ANCHOR_TEXTS))  # the defaults score held-out texts
    for seen in (DIRECTION_TEXTS[0], ANCHOR_TEXTS[1]):
        with pytest.raises(BadInputError, match="also a direction or anchor text"):
            run_mission(MissionConfig(eval_texts=(EVAL_TEXTS[0], seen)), tmp_path / "refused")
    assert not (tmp_path / "refused").exists()  # refused before any model loads or file is written
