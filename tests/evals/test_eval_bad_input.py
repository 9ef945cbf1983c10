"""Bad input fails the item, with its reason, and the run goes on; unloadable models say how to get them."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from speech_data import clip

from tts_interp.evals.evaluate import evaluate_manifest
from tts_interp.evals.score_config import ScoreConfig

GOOD = clip("kokoro_jf_gongitsune_s1.flac")
TEXT = "The birch canoe slid on the smooth planks."
REF = str(clip("kokoro_jf_gongitsune_s2.flac"))


def _write_manifest(tmp_path: Path) -> Path:
    speech, sr = sf.read(str(GOOD), dtype="float32")
    (tmp_path / "garbage.flac").write_bytes(b"this is not audio" * 100)
    sf.write(str(tmp_path / "silent.wav"), np.zeros(2 * sr, np.float32), sr)
    sf.write(str(tmp_path / "clipped.flac"), np.clip(speech * 30, -1, 1), sr)
    nan = speech.copy()
    nan[1000:1010] = np.nan
    sf.write(str(tmp_path / "nan.wav"), nan, sr, subtype="FLOAT")
    start = int(np.argmax(np.abs(speech) > 0.1))
    sf.write(str(tmp_path / "short.flac"), speech[start:start + int(0.3 * sr)], sr)
    rows = [
        {"id": "good", "audio": str(GOOD), "text": TEXT, "reference": REF},
        {"id": "missing", "audio": "nope.flac", "text": TEXT, "reference": REF},
        {"id": "unreadable", "audio": "garbage.flac", "text": TEXT, "reference": REF},
        {"id": "silent", "audio": "silent.wav", "text": TEXT, "reference": REF},
        {"id": "clipped", "audio": "clipped.flac", "text": TEXT, "reference": REF},
        {"id": "nan", "audio": "nan.wav", "text": TEXT, "reference": REF},
        {"id": "short", "audio": "short.flac", "text": "The", "reference": REF},
        {"id": "no-text", "audio": str(GOOD), "reference": REF},
        {"id": "no-target", "audio": str(GOOD), "text": TEXT, "source": REF},
        {"id": "no-audio", "text": TEXT},
        {"id": "bad-ref", "audio": str(GOOD), "text": TEXT, "reference": "gone.flac"},
    ]
    lines = [json.dumps(r) for r in rows] + ["{not json"]
    manifest = tmp_path / "manifest.jsonl"
    manifest.write_text("\n".join(lines) + "\n")
    return manifest


def test_bad_items_fail_with_reasons_and_the_run_goes_on(tmp_path: Path) -> None:
    manifest = _write_manifest(tmp_path)
    payload = evaluate_manifest(manifest, ScoreConfig(scorers=("speaker", "asr"), device="cpu"), tmp_path / "out")
    with open(tmp_path / "out" / "items.csv") as handle:
        rows = {r["id"]: r for r in csv.DictReader(handle)}
    assert len(rows) == 12
    assert rows["good"]["status"] == "ok" and float(rows["good"]["similarity"]) > 0.7
    assert float(rows["good"]["wer"]) == 0.0
    expected = {"missing": "does not exist", "unreadable": "cannot be read", "silent": "silent",
                "clipped": "clipped", "nan": "NaN", "short": "verifier needs at least",
                "no-target": "field 'target' is missing",
                "no-audio": "field 'audio' is missing", "bad-ref": "gone.flac", "line-12": "not JSON"}
    for item_id, reason in expected.items():
        assert rows[item_id]["status"] == "failed", item_id
        assert reason in rows[item_id]["error"], (item_id, rows[item_id]["error"])
    assert rows["short"]["wer"] != ""  # what other scorers computed is kept
    assert rows["no-text"]["similarity"] != "" and rows["no-text"]["wer"] == ""  # no text: no WER, not failed
    assert rows["no-text"]["status"] == "ok"
    agg = json.loads((tmp_path / "out" / "result.json").read_text())["aggregates"]
    assert agg["n_items"] == 12 and agg["n_failed"] == 10
    assert payload["aggregates"]["similarity_mean"]["n"] >= 1


@pytest.mark.parametrize(("option", "value", "model", "needle"), [
    ("asr", "whisper", "openai/whisper-tiny.en", "openai/whisper-tiny.en"),
    ("speaker", "ecapa", None, "speechbrain/spkrec-ecapa-voxceleb"),
    ("speaker", "wavlm-sv", None, "microsoft/wavlm-base-plus-sv"),
])
def test_model_that_cannot_load_offline_fails_items_with_how_to_get_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, option: str, value: str, model: str | None,
        needle: str) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    hub_cache = tmp_path / "hf-cache"
    monkeypatch.setenv("HF_HUB_CACHE", str(hub_cache))
    import huggingface_hub.constants as constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(hub_cache))
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(json.dumps({"id": "a", "audio": str(GOOD), "text": TEXT, "reference": REF}) + "\n")
    config = ScoreConfig(scorers=("speaker" if option == "speaker" else "asr",), device="cpu",
                         **{option: value, f"{option}_model": model})
    payload = evaluate_manifest(manifest, config, tmp_path / "out")
    [failure] = payload["aggregates"]["failures"]
    for part in (needle, str(hub_cache), "huggingface-cli download", "unavailable"):
        assert part in failure["error"], failure["error"]
    assert payload["backends"][option]["loaded"] is False and needle in payload["backends"][option]["error"]


def test_faster_whisper_rejects_a_directory_without_a_model(tmp_path: Path) -> None:
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(json.dumps({"id": "a", "audio": str(GOOD), "text": TEXT}) + "\n")
    payload = evaluate_manifest(manifest, ScoreConfig(scorers=("asr",), asr_model=str(tmp_path), device="cpu"),
                                tmp_path / "out")
    assert "not a CTranslate2 Whisper directory" in payload["aggregates"]["failures"][0]["error"]
