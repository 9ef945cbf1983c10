"""The `attackers` set scorer of `tts-interp eval` on real speech (5 Kokoro voices x 3 Harvard sentences).

Known answers: condition `same` replays every original clip, so every figure equals the original speech's;
condition `swap` has each voice's lines spoken by the next voice, a consistent voice conversion. The ignorant
attacker (enrolled on the originals) then names the wrong voice, while the lazy-informed attacker (enrolled on
swapped speech) sees the same voices under new names, so its EER is exactly the originals' EER.
"""

from __future__ import annotations

import json

import pytest
from speech_data import CLIPS, KOKORO_VOICES, voice_clips

from tts_interp.evals.evaluate import evaluate_manifest
from tts_interp.evals.score_config import ScoreConfig


@pytest.fixture(scope="module")
def scored(tmp_path_factory, private_cache):  # noqa: ANN001, ANN201
    rows = []
    for v, voice in enumerate(KOKORO_VOICES):  # every clip is in three rows: transcribed and embedded once
        other = KOKORO_VOICES[(v + 1) % len(KOKORO_VOICES)]
        for mine, theirs in zip(voice_clips(voice), voice_clips(other), strict=True):
            text = CLIPS[mine.name]["text"]
            rows.append({"id": f"orig-{mine.stem}", "audio": str(mine), "text": text, "voice": voice})
            rows += [{"id": f"{name}-{mine.stem}", "audio": str(audio), "text": text, "voice": voice,
                      "condition": name, "reference": [str(mine)]} for name, audio in (("same", mine), ("swap", theirs))]
    out = tmp_path_factory.mktemp("attackers")
    (out / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    config = ScoreConfig(scorers=("asr", "attackers"), device="cpu", batch_size=8)
    return evaluate_manifest(out / "manifest.jsonl", config, out / "eval"), out / "eval"


def test_eval_runs_the_attackers_per_condition_with_n_and_ci(scored):  # noqa: ANN001
    payload, out = scored
    attacks = payload["attackers"]
    by = {r["condition"]: r for r in attacks["conditions"]}
    assert list(by) == ["original", "same", "swap"] and attacks["unusable"] == [] and attacks["n_voices"] == 5
    original, same, swap = by["original"], by["same"], by["swap"]
    assert original["ignorant_eer_n_target"] == 10 and original["ignorant_eer_n_nontarget"] == 40  # 2 trial texts
    assert original["identification"] >= 0.8 and original["ignorant_eer"] <= 0.2  # resemblyzer tells them apart
    for key in ("ignorant_eer", "lazy_informed_eer", "identification", "wer"):
        assert same[key] == pytest.approx(original[key])
    assert swap["identification"] <= 0.2 and swap["ignorant_eer"] >= original["ignorant_eer"] + 0.3
    assert swap["lazy_informed_eer"] == pytest.approx(original["ignorant_eer"])
    for row in (original, swap):
        low, high = row["ignorant_eer_ci95"]
        assert low <= row["ignorant_eer"] <= high and row["eer_chance"] == 0.5 and row["identification_chance"] == 0.2
        assert row["wer_n"] == 15 and row["wer"] <= 0.2  # Kokoro's Japanese voices reading English
    assert swap["wer"] == pytest.approx(original["wer"])  # the same clips, the same texts
    assert (out / "attackers.csv").read_text().splitlines()[0].startswith("condition,")


def test_rows_without_a_voice_are_left_out_with_the_reason(scored, tmp_path):  # noqa: ANN001
    payload, out = scored
    first = voice_clips(KOKORO_VOICES[0])[0]
    (tmp_path / "m.jsonl").write_text(json.dumps({"id": "x", "audio": str(first), "text": "a text"}) + "\n")
    result = evaluate_manifest(tmp_path / "m.jsonl", ScoreConfig(scorers=("attackers",), device="cpu"), tmp_path / "o")
    assert result["attackers"]["conditions"] == [] and "voice" in result["attackers"]["unusable"][0]["reason"]
    assert result["aggregates"]["n_items"] == 1  # the item scores already made are kept
