"""The `tts-interp codes` commands end to end on the tiny codecs, and their one-line answers to bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tts_interp.cli.app import app

runner = CliRunner()


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["codes", *args])
    return result.exit_code, result.output + (str(result.exception) if result.exception else "")


def test_encode_stats_probe_on_a_dataset(tone_dataset: Path, tmp_path: Path) -> None:
    code, output = _run(
        "encode", "--data", str(tone_dataset), "--out", str(tmp_path / "enc"), "--codec", "tiny-mimi"
    )
    assert code == 0, output
    encoded = json.loads((tmp_path / "enc" / "result.json").read_text())
    assert len(encoded["items"]) == 9 and (tmp_path / "enc" / encoded["items"][0]["codes"]).is_file()

    code, output = _run(
        "stats", "--data", str(tone_dataset), "--out", str(tmp_path / "stats"), "--codec", "tiny-mimi"
    )
    assert code == 0, output
    stats = json.loads((tmp_path / "stats" / "result.json").read_text())
    assert len(stats["per_codebook"]) == 8 and (tmp_path / "stats" / "codebook_stats.png").is_file()

    code, output = _run(
        "probe",
        "--data",
        str(tone_dataset),
        "--out",
        str(tmp_path / "probe"),
        "--codec",
        "tiny-mimi",
        "--permutations",
        "20",
        "--bootstrap",
        "20",
        "--test-fraction",
        "0.34",
    )
    assert code == 0, output
    probe = json.loads((tmp_path / "probe" / "result.json").read_text())
    assert set(probe["tasks"]) == {"speaker", "phoneme", "pitch"}
    assert probe["tasks"]["phoneme"]["classes"] == ["a", "i"]
    for task in probe["tasks"].values():
        assert len(task["results"]) == 16  # 8 single + 8 cumulative
        assert {"p_value", "ci95", "control", "selectivity", "chance"} <= set(task["results"][0])
    assert {"r2", "mae"} <= set(probe["tasks"]["pitch"]["results"][0])
    assert all((tmp_path / "probe" / f"probe_{t}.png").is_file() for t in probe["tasks"])


def test_ablate_and_swap_write_audio(tone_dataset: Path, tmp_path: Path) -> None:
    a, b = tone_dataset / "low_0.flac", tone_dataset / "high_1.flac"
    code, output = _run(
        "ablate",
        str(a),
        str(tone_dataset / "missing.wav"),
        "--codebooks",
        "1-2",
        "--mode",
        "mean",
        "--out",
        str(tmp_path / "abl"),
        "--codec",
        "tiny-mimi",
    )
    assert code == 0, output
    result = json.loads((tmp_path / "abl" / "result.json").read_text())
    assert result["codebooks"] == [1, 2] and len(result["items"]) == 1
    assert "does not exist" in result["skipped"][0]["reason"]
    assert (tmp_path / "abl" / "low_0.ablated.wav").is_file()
    code, output = _run(
        "swap",
        "--a",
        str(a),
        "--b",
        str(b),
        "--codebooks",
        "1,2",
        "--align",
        "dtw",
        "--out",
        str(tmp_path / "swap"),
        "--codec",
        "tiny-mimi",
    )
    assert code == 0, output
    assert (tmp_path / "swap" / "swapped.wav").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["ablate", "x.wav", "--codebooks", "9", "--codec", "tiny-mimi"],
            "codebook index for tiny-mimi 9 is out of range",
        ),
        (
            ["ablate", "x.wav", "--codebooks", "1", "--mode", "code0"],
            "unknown ablation mode 'code0'; valid: zero, mean",
        ),
        (
            ["swap", "--a", "x.wav", "--b", "y.wav", "--codebooks", "1", "--align", "nearest"],
            "valid: truncate, dtw",
        ),
        (["probe", "--data", "nowhere", "--tasks", "speaker,age"], "unknown probe task 'age'"),
        (["encode", "--data", "nowhere", "--codec", "no-such-codec"], "unknown codec 'no-such-codec'"),
        (["encode", "--data", "nowhere", "--codec", "kyutai/mimi"], "not in the Hugging Face cache"),
    ],
)
def test_bad_input_is_one_clear_error(args: list[str], message: str, tmp_path: Path) -> None:
    from tts_interp.core.errors import TTSInterpError

    result = runner.invoke(app, ["codes", *args, "--out", str(tmp_path)])
    assert isinstance(result.exception, TTSInterpError)
    assert message in str(result.exception)
