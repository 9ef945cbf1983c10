"""`tts-interp hspace direction|edit|sweep` end to end on the tiny multi-speaker Grad-TTS, and its bad-input lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tts_interp.cli.app import app
from tts_interp.core.errors import TTSInterpError

runner = CliRunner()


def _invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    if isinstance(result.exception, TTSInterpError):  # main() turns these into one red line and exit 2
        return 2, str(result.exception)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def direction_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "direction"
    code, output = _invoke("hspace", "direction", "-m", "tiny-grad-tts-multispeaker", "--positive-speakers", "0,1",
                           "--negative-speakers", "2,3", "-t", "Hi there.", "--steps", "3", "--pca", "2",
                           "--out", str(out))
    assert code == 0, output
    return out


def test_direction_command_writes_direction_pca_and_activations(direction_dir: Path) -> None:
    result = json.loads((direction_dir / "result.json").read_text())
    assert result["utterances"] == 4 and len(result["pca"]["explained_variance_ratio"]) == 2
    assert (direction_dir / "direction.safetensors").is_file() and (direction_dir / "pca-1.safetensors").is_file()
    assert (direction_dir / "activations" / "item-0003" / "index.json").is_file()


def test_edit_and_sweep_commands(direction_dir: Path, tmp_path: Path) -> None:
    direction = str(direction_dir / "direction.safetensors")
    code, output = _invoke("hspace", "edit", "-m", "tiny-grad-tts-multispeaker", "--direction", direction,
                           "--alpha", "1.5", "--t-range", "0:0.6", "-t", "Hi there.", "--speaker", "4", "--steps", "3",
                           "--out", str(tmp_path / "edit"))
    assert code == 0, output
    result = json.loads((tmp_path / "edit" / "result.json").read_text())
    assert result["alpha"] == 1.5 and result["t_range"] == [0.0, 0.6] and (tmp_path / "edit" / "audio.wav").is_file()
    code, output = _invoke("hspace", "sweep", "-m", "tiny-grad-tts-multispeaker", "--direction", direction,
                           "--alphas", "-1,1", "--t-ranges", "0:1", "-t", "Hi there.", "--speaker", "4",
                           "--steps", "3", "--out", str(tmp_path / "sweep"))
    assert code == 0, output
    assert len((tmp_path / "sweep" / "rows.jsonl").read_text().splitlines()) == 3


@pytest.mark.parametrize(("args", "message"), [
    (("--t-range", "0.2:1.4"), "t-range"),
    (("--t-range", "0.9:0.1"), "empty"),
    (("--model", "tiny-grad-tts"), "made on model"),
    (("--model", "tiny-grad-tts-nope"), "unknown built-in model"),
])
def test_bad_input_is_one_clear_error(direction_dir: Path, tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    base = {"--model": "tiny-grad-tts-multispeaker", "--t-range": "0:1"}
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    flat = [item for pair in base.items() for item in pair]
    code, output = _invoke("hspace", "edit", *flat, "--direction", str(direction_dir / "direction.safetensors"),
                           "-t", "Hi there.", "--speaker", "1", "--steps", "3", "--out", str(tmp_path / "bad"))
    assert code == 2 and message in output


def test_too_few_speakers_per_group(tmp_path: Path) -> None:
    code, output = _invoke("hspace", "direction", "-m", "tiny-grad-tts-multispeaker", "--positive-speakers", "0",
                           "--negative-speakers", "2,3", "-t", "Hi there.", "--steps", "2", "--out", str(tmp_path))
    assert code == 2 and "at least 2" in output
