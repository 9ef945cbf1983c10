"""`tts-interp direction` and `steer` on Kokoro run the family-neutral experiments (no Kokoro branch): a direction
between voice sets (named, or label filters), named sites steered at once, a plain run as every cell's reference,
alpha 0 bit for bit the plain run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner


def test_steer_by_site_names_and_by_layer_on_kokoro(kokoro, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tts_interp as ti
    from tts_interp.cli import direction_cmd, steer_cmd
    from tts_interp.cli.app import app

    model = ti.Model(kokoro)
    for module in (steer_cmd, direction_cmd):
        monkeypatch.setattr(module, "load", lambda *args, **kwargs: model)  # reuse the session's Kokoro
    assert model.voice_set(["@en-gb/male"]) == ["bm_daniel", "bm_fable", "bm_george", "bm_lewis"]
    result = CliRunner().invoke(app, ["direction", "-m", "kokoro-82m", "-t", "Good morning.", "--a-voice", "am_adam",
                                      "--b-voice", "af_bella", "--sites", "style.timbre,decoder.decode.3",
                                      "--out", str(tmp_path / "dir")])
    assert result.exit_code == 0, result.output
    direction = tmp_path / "dir" / "direction.safetensors"
    made = ti.Direction.load(direction)
    counts = made.info["counts"]
    assert made.sites == ["style.timbre", "decoder.decode.3"] and counts["rows_a"] == counts["runs_a"] == 1  # pooled

    out = tmp_path / "by-site"
    result = CliRunner().invoke(app, ["steer", "-m", "kokoro-82m", "--voice", "af_heart", "-t", "Hello there.",
                                      "--direction", str(direction), "--sites", "style.timbre", "--alphas", "0,1",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    payload = json.loads((out / "result.json").read_text())
    assert [c["id"] for c in payload["cells"]] == ["alpha+0_style.timbre", "alpha+1_style.timbre"]
    plain = (out / "plain" / "audio.wav").read_bytes()
    assert (out / "cells" / "alpha+0_style.timbre" / "audio.wav").read_bytes() == plain
    assert (out / "cells" / "alpha+1_style.timbre" / "audio.wav").read_bytes() != plain

    out = tmp_path / "by-layer"  # layer 4 of kind `decoder` is decoder.decode.3
    result = CliRunner().invoke(app, ["steer", "-m", "kokoro-82m", "--voice", "af_heart", "-t", "Hello there.",
                                      "--direction", str(direction), "--layers", "4", "--alphas", "1",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads((out / "result.json").read_text())["calibration"]["sites"].keys() == {"decoder.decode.3"}
