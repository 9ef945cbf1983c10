"""The HTML report of an erasure sweep: the attacker table with n and CIs, the frontier, one sentence per voice
heard plain and under every erased condition; and the held-out probe table of a fit."""

from __future__ import annotations

import json

import numpy as np
import soundfile as sf

from tts_interp.core.results import write_jsonl, write_result
from tts_interp.evals.attackers import score_attackers
from tts_interp.evals.privacy_sweep import attack_clips
from tts_interp.report.html_report import build_report


def test_sweep_page_shows_attackers_and_the_same_sentence_before_and_after(tmp_path):
    clips = []
    for method, site, alpha in (("plain", None, None), ("leace", "style.timbre", 1.0)):
        for voice in ("af_a", "am_b"):
            for k in range(2):
                rel = f"{method}/{voice}{k}"
                sf.write(str(tmp_path / "x.wav"), np.zeros(1600, np.float32), 16000)
                (tmp_path / rel).mkdir(parents=True)
                (tmp_path / "x.wav").rename(tmp_path / rel / "audio.wav")
                clips.append({"id": rel, "audio": f"{rel}/audio.wav", "text": f"text {k}", "speaker": voice,
                              "label": voice, "method": method, "site": site, "alpha": alpha, "text_index": k})
    write_jsonl(tmp_path / "clips.jsonl", clips)
    write_result(tmp_path, {"command": "erase apply", "status": "complete", "sites": ["style.timbre"],
                            "alphas": [1.0], "erasers": {}, "model": {"model_id": "kokoro-82m"}})
    rng = np.random.default_rng(0)
    voice_of = {"af_a": rng.normal(size=8), "am_b": rng.normal(size=8)}
    attack = attack_clips(tmp_path, clips)
    embed = {c.audio: voice_of[c.voice] + 0.1 * rng.normal(size=8) for c in attack}  # the voices stay apart
    payload = score_attackers(attack, lambda paths: {p: embed[p] for p in paths})
    write_result(tmp_path / "privacy", {"command": "erase score", **payload})
    page = build_report(tmp_path, tmp_path / "page.html").read_text()
    assert "ignorant EER (0.5 = chance)" in page and "method=leace site=style.timbre alpha=1" in page
    assert "n=2+2" in page and "original" in page
    assert "the same sentence before and after erasure" in page
    assert page.count("<audio") == 4  # 2 voices x (plain + leace) for the trial text


def test_fit_page_lists_the_held_out_probe(tmp_path):
    probe = {"site": "style.timbre", "eraser": "leace", "rank": 7, "accuracy": 0.125, "accuracy_ci95": [0.0, 0.375],
             "n_test_units": 8, "chance": 0.125, "p_value": 1.0, "n_test_rows": 8}
    write_result(tmp_path, {"command": "erase fit", "held_out_probe": [probe], "probe": "logistic regression",
                            "model": {"model_id": "kokoro-82m"}})
    page = build_report(tmp_path).read_text()
    assert "held-out accuracy" in page and json.dumps(0.125) in page
