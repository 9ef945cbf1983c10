"""examples/walkthrough.py runs as written (Kokoro, tiny Qwen3-TTS and tiny Grad-TTS through the same calls), and
its Kokoro run is bit for bit what `tts-interp generate` writes for the same inputs."""

from __future__ import annotations

import os
import runpy
from pathlib import Path

from typer.testing import CliRunner

WALKTHROUGH = Path(__file__).resolve().parents[2] / "examples" / "walkthrough.py"


def test_the_walkthrough_runs_and_its_runs_are_what_generate_writes(private_cache: None, tmp_path: Path) -> None:
    from tts_interp.cli.app import app

    here = Path.cwd()
    os.chdir(tmp_path)
    try:
        done = runpy.run_path(str(WALKTHROUGH), run_name="__main__")
    finally:
        os.chdir(here)
    out = tmp_path / "runs" / "walkthrough"
    for model_id in ("kokoro-82m", "tiny-qwen3-tts-voicedesign", "tiny-grad-tts"):
        assert (out / model_id / "audio.wav").is_file() and (out / model_id / "result.json").is_file()
    plain_row, steered_row = done["scores"].rows
    assert plain_row["wer"] == 0.0 and plain_row["similarity"] > 0.99  # the plain run against itself
    assert steered_row["similarity"] < plain_row["similarity"]  # alpha 2 at decoder.decode.3 moves the voice
    assert done["to_male"].info["fit"]["voices"] == ["af_bella", "af_nicole", "am_adam", "am_michael"]

    result = CliRunner().invoke(app, ["generate", "-m", "kokoro-82m", "--voice", "af_heart", "--language", "en-us",
                                      "-t", "Hello there.", "--seed", "0", "--out", str(tmp_path / "cli")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "cli" / "audio.wav").read_bytes() == (out / "kokoro-82m" / "audio.wav").read_bytes()
