"""The static report: each kind's page shows its real numbers (with n and CI), its plots and playable audio."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import numpy as np
import pytest

from tts_interp.core.errors import BadInputError
from tts_interp.evals.metrics import summary
from tts_interp.report.html_report import RENDERERS, build_report

AUDIO_SRC = re.compile(r'<audio[^>]* src="([^"]+)"')


def _audio_sources(page: Path) -> list[str]:
    return AUDIO_SRC.findall(page.read_text())


def test_eval_of_a_steer_sweep_has_an_alpha_by_layer_grid_of_identity_shift_and_wer(steer_eval_dir: Path) -> None:
    page = build_report(steer_eval_dir)
    text = page.read_text()
    items = list(csv.DictReader((steer_eval_dir / "items.csv").open()))
    assert len(items) == 4 and all(r["status"] == "ok" for r in items)
    for metric in ("identity_shift", "wer"):
        assert f"{metric} by alpha x layers" in text
    # each grid cell is the item's own value (one item per alpha x layer cell), with its n
    grid = text.split("identity_shift by alpha x layers")[1].split("</table>")[0]
    shown = [float(v) for v in re.findall(r'<td class=num[^>]*>([-0-9.e+]+)<span', grid)]
    by_cell = {r["id"]: float(r["identity_shift"]) for r in items}
    expected = [by_cell[f"alpha+{a}_L{layer}"] for layer in (1, 2) for a in (0, 4)]
    assert shown == pytest.approx(expected, rel=1e-3)
    assert "n=1" in grid
    # every cell has its player; the reference clips it was scored against (source: the plain run, target: the
    # real voice's two clips) are one set shared by the four items, listed once
    sources = _audio_sources(page)
    assert len(sources) == 4 + (1 + 2) and text.count(">refs 1</td>") == 4
    for src in sources:
        assert not src.startswith("data:") and (page.parent / src).resolve().is_file()
    assert "random weights" in text  # the audio came from a tiny built-in: flagged on the page


def test_aggregates_carry_n_and_the_ci_that_result_json_records(steer_eval_dir: Path) -> None:
    text = build_report(steer_eval_dir).read_text()
    result = json.loads((steer_eval_dir / "result.json").read_text())
    shift = result["aggregates"]["identity_shift_mean"]
    row = text.split("identity shift (mean)</td>")[1].split("</tr>")[0]
    assert f"{shift['value']:.4g}" in row and f"n={shift['n']}" in row
    assert f"{shift['ci95'][0]:.3g}" in row and f"{shift['ci95'][1]:.3g}" in row


def test_lens_page_bootstraps_over_frames_and_matches_the_result_means(lens_dir: Path) -> None:
    text = build_report(lens_dir).read_text()
    result = json.loads((lens_dir / "result.json").read_text())
    talker = text.split("<h3>talker</h3>")[1].split("</table>")[0]
    kl_cells = re.findall(r'<tr><td class=num data-v="\d+">\d+</td><td class=num data-v="([^"]+)"', talker)
    assert [float(v) for v in kl_cells] == pytest.approx([r["kl_to_final"] for r in result["layers"]], rel=1e-5)
    frames = np.load(lens_dir / "lens_frames.npz")
    expected = summary(frames["talker_kl_to_final"][0].tolist())
    assert f"n={expected['n']}" in talker and f"{expected['ci95'][0]:.3g}" in talker
    assert text.count("<img") == len(result["plots"])  # every plot embedded, once
    assert "data:image/png;base64," in text


def test_audio_is_embedded_below_the_size_limit_only(steer_dir: Path, tmp_path: Path) -> None:
    embedded = build_report(steer_dir, tmp_path / "all.html", embed_audio_below=10_000_000)
    assert all(s.startswith("data:audio/wav;base64,") for s in _audio_sources(embedded))
    referenced = build_report(steer_dir, tmp_path / "none.html", embed_audio_below=0)
    sources = _audio_sources(referenced)
    assert sources and all((tmp_path / s).resolve().is_file() for s in sources)  # relative to the page


def test_suite_page_lists_every_scored_row_with_its_reference_clip(suite_dir: Path) -> None:
    text = build_report(suite_dir).read_text()
    rows = [json.loads(line) for p in (suite_dir / "results").glob("*.jsonl") for line in p.read_text().splitlines()]
    assert len(rows) == 4
    for row in rows:
        assert f">{row['work_id']}<" in text
        assert f"{row['similarity']:.4g}" in text
    # each row plays its own clip; the two reference clips (each shared by two rows) are listed once each
    assert len(_audio_sources(suite_dir / "report.html")) == 4 + 2 and text.count("</td><td data-v=\"refs ") == 4


def test_a_folder_of_runs_becomes_one_page_and_bad_input_is_one_clear_line(steer_dir: Path, lens_dir: Path,
                                                                          tmp_path: Path) -> None:
    page = build_report(steer_dir.parent, tmp_path / "all.html")
    text = page.read_text()
    assert "<h1>lens</h1>" in text and "<h1>steer</h1>" in text
    with pytest.raises(BadInputError, match="not a directory"):
        build_report(tmp_path / "missing")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(BadInputError, match="no result.json"):
        build_report(empty)


def test_every_command_that_writes_a_result_has_a_renderer() -> None:
    made_here = {"generate", "trace", "replay", "lens", "patch", "direction", "steer", "eval", "suite run",
                 "suite report", "hspace direction", "hspace edit", "hspace sweep", "codes ablate", "codes swap",
                 "codes stats", "codes probe"}
    assert made_here <= set(RENDERERS)


def test_grid_cells_average_over_seeds_with_n_and_ci_and_suite_configs_flatten() -> None:
    from tts_interp.report.kinds_eval import _config_of
    from tts_interp.report.sections import grid

    spec = {"config": {"layer": [3], "alpha": 2.0, "seed": 1, "target": {"speaker": "cleo"}}, "inputs": {}}
    assert _config_of(spec) == {"layer": 3, "alpha": 2.0, "seed": 1}
    rows = [{"alpha": a, "layer": layer, "seed": s, "identity_shift": a * 0.1 + layer + s * 0.01}
            for a in (0, 2) for layer in (1, 3) for s in (0, 1)]
    text = grid(rows, "alpha", "layer", "identity_shift", "shift")
    expected = summary([2 * 0.1 + 3, 2 * 0.1 + 3 + 0.01])
    cell = text.split("layer = 3")[1].split("</tr>")[0].split("<td")[2]
    assert f"{expected['value']:.4g}" in cell and "n=2" in cell and f"{expected['ci95'][1]:.3g}" in cell


def test_only_random_weights_get_the_noise_warning(tmp_path: Path) -> None:
    """Kokoro-82M's offline build is a built-in of trained weights: its pages carry no 'random weights' warning."""
    from tts_interp.core.results import write_result
    from tts_interp.report.sections import RANDOM_WEIGHTS

    runs = {"kokoro": {"model_id": "kokoro-82m", "builtin": True, "provenance": "int8-dequantized"},
            "tiny": {"model_id": "tiny-qwen3-tts-voicedesign"},
            "whisper-small": {"model_id": "whisper-small", "note": "random weights (seed 0): for speed and memory only"}}
    for name, model in runs.items():
        write_result(tmp_path / name, {"command": "generate", "model": model})
    warned = {name: RANDOM_WEIGHTS in build_report(tmp_path / name).read_text() for name in runs}
    assert warned == {"kokoro": False, "tiny": True, "whisper-small": True}
