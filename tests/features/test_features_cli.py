"""`tts-interp features ...`: a no-op edit leaves every transcript as it was; bad input is one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import FIXTURES


def test_whisper_is_listed_with_its_sites(cli, whisper_tiny) -> None:
    code, out, err = cli("models")
    text = err + out
    assert code == 0 and "whisper-tiny.en" in text
    code, out, err = cli("sites", "--model", "whisper-tiny.en", "--json")
    text = err + out
    sites = {s["name"]: s for s in json.loads(text[text.index("{"):])["sites"]}
    assert code == 0 and sites["encoder.layer.2.mlp.act"]["dim"] == 1536
    assert sites["encoder.layer.2.mlp.act"]["clock"] == "encoder_frame" and sites["decoder.out"]["clock"] == "decoder_token"


@pytest.fixture
def two_clips(tmp_path: Path) -> Path:
    rows = [{"id": Path(f).stem, "file": str(FIXTURES / f), "speaker": s, "text": t} for f, s, t in (
        ("arctic_slt_a0009.flac", "slt", "He turned sharply, and faced Gregson across the table."),
        ("kokoro_jf_alpha_s3.flac", "jf_alpha", "It is easy to tell the depth of a well."))]
    (tmp_path / "manifest.json").write_text(json.dumps({"clips": rows}))
    return tmp_path / "manifest.json"


def test_scale_one_is_a_no_op_on_every_transcript(cli, tmp_path, two_clips, whisper_tiny) -> None:
    out = tmp_path / "out"
    code, _, err = cli("features", "ablate", "--site", "encoder.layer.2.mlp.act", "--units", "226,17",
                        "--scale", "1", "--data", str(two_clips), "--random-controls", "1", "--out", str(out))
    assert code == 0, err
    result = json.loads((out / "result.json").read_text())
    assert result["model"]["provenance"]["source_sha256"] and result["n_items"] == 2
    for name, aggregate in result["aggregates"].items():
        if name != "clean_vs_reference":
            assert aggregate["wer_vs_clean"]["value"] == 0.0 and aggregate["changed_items"] == 0
    items = [json.loads(line) for line in (out / "items.jsonl").read_text().splitlines()]
    assert [i["id"] for i in items] == ["arctic_slt_a0009", "kokoro_jf_alpha_s3"]
    assert "turned sharply" in items[0]["clean"].lower()


@pytest.mark.parametrize(("args", "needle"), [
    (["--units", "5000"], "units [5000] are out of range; valid: 0..1535"),
    (["--units", "1", "--site", "encoder.layer.7.mlp.act"], "valid: 0..3"),
    (["--units", "x"], "--units 'x'"),
    (["--units", "1", "--data", "nowhere:3"], "neither espeak[:N]"),
    (["--units", "1", "-m", "tiny-grad-tts"], "grad-tts cannot transcribe"),
])
def test_bad_input_is_one_line(cli, tmp_path, two_clips, whisper_tiny, args, needle) -> None:
    code, _, err = cli("features", "ablate", "--data", str(two_clips), "--out", str(tmp_path / "o"), *args)
    assert code == 2 and needle in err and "Traceback" not in err, err


def test_sae_command_reports_fve_beside_pca_faithfulness_and_seed_stability(cli, tmp_path, whisper_tiny) -> None:
    out = tmp_path / "sae"
    code, stdout, err = cli("features", "sae", "--data", "espeak:4", "--dict-size", "64", "--k", "8", "--steps", "10",
                            "--batch", "128", "--out", str(out))
    assert code == 0, err
    held = json.loads((out / "result.json").read_text())["heldout"]
    same_k = held["baselines"]["pca_same_k"]
    assert held["n_frames"] > 0 and same_k["components"] == 8 and 0 <= same_k["fve"] <= 1
    stable = held["seed_stability"]
    assert stable["n_features"] == 64 and stable["matched_share"] < 1  # seed + 1 trained another dictionary
    assert stable["median_best_cosine"] > stable["chance_median_best_cosine"]  # yet closer than random directions
    assert "found again with seed + 1" in stdout + err
