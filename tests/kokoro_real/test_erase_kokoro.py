"""Findings on Kokoro-82M (trained weights, int8 build; CPU): what LEACE erases and what it costs.

- gender at `decoder.encode`: a probe on held-out voices is far above chance before LEACE and at chance after
  (permutation p >= 0.05 over 8 held-out voices, where before it is < 0.05);
- speaker identity at `style.timbre`: the ignorant attacker's EER rises against the unerased runs, a random
  subspace of the same rank moves it less, and the WER at full erasure is recorded (and bounded).
Small on purpose (short texts, few voices); scripts/erase_findings.sh measures the same at a larger size.
"""

from __future__ import annotations

import json

from tts_interp.evals.privacy_sweep import score_erasure
from tts_interp.interventions.erase_fit import run_fit, voice_runs
from tts_interp.interventions.erase_runs import voice_attributes
from tts_interp.interventions.erase_sweep import plan_erase_sweep, run_erase_sweep
from tts_interp.models.qwen3_tts.adapter import GenerationSettings
from tts_interp.models.qwen3_tts.prompt import PromptRequest
from tts_interp.tracing.selection import Selection

FEMALE = ["af_heart", "af_bella", "af_nicole", "af_sarah", "af_sky", "af_river", "bf_emma", "bf_alice"]
MALE = ["am_michael", "am_adam", "am_eric", "am_liam", "am_onyx", "am_puck", "bm_george", "bm_lewis"]
NO_PROMPT = PromptRequest(text="")


def test_gender_probe_on_held_out_voices_goes_from_far_above_chance_to_chance(kokoro, tmp_path):
    runs = voice_runs(FEMALE + MALE, ["Please call Stella."], "gender", voice_attributes(kokoro), NO_PROMPT)
    payload = run_fit(kokoro, runs, "gender", ["decoder.encode"], Selection(), tmp_path, test_fraction=0.5)
    probes = {p["eraser"]: p for p in payload["held_out_probe"]}
    before, after = probes["none"], probes["leace"]
    assert before["n_test_units"] == 8 and payload["held_out"] == "voices"
    assert before["accuracy"] >= 0.9 and before["p_value"] < 0.05
    assert after["p_value"] >= 0.05 and after["accuracy"] <= after["chance"] + 0.15
    assert payload["weights"]["weights_sha256"] and payload["provenance"]["provenance"]["weights"] == "int8-dequantized"


def test_speaker_erasure_raises_the_ignorant_attackers_eer_more_than_a_random_subspace(kokoro, tmp_path):
    voices = ["af_heart", "af_nicole", "am_michael", "am_eric"]
    fit_runs = voice_runs(voices, ["Please call Stella.", "Six spoons of peas."], "speaker", {}, NO_PROMPT)
    run_fit(kokoro, fit_runs, "speaker", ["style.timbre"], Selection(), tmp_path / "fit", test_fraction=0.5)
    sweep_runs = voice_runs(voices, ["Bring a small snake.", "Five slabs of cheese."], "speaker", {}, NO_PROMPT)
    plan = plan_erase_sweep(kokoro, tmp_path / "fit", sweep_runs, [1], GenerationSettings(seed=0), [],
                            ["leace", "random"])
    run_erase_sweep(kokoro, plan, tmp_path / "sweep")
    payload = score_erasure(tmp_path / "sweep")
    rows = {row["method"]: row for row in payload["conditions"]}
    plain, leace, control = rows["none"], rows["leace"], rows["random"]
    assert leace["ignorant_eer"] > plain["ignorant_eer"]
    assert leace["ignorant_eer"] - plain["ignorant_eer"] > control["ignorant_eer"] - plain["ignorant_eer"]
    assert leace["ignorant_eer_n_target"] == 4 and leace["ignorant_eer_n_nontarget"] == 12
    assert leace["wer"] is not None and leace["wer_n"] == 8 and leace["wer"] <= 0.5
    saved = json.loads((tmp_path / "sweep" / "privacy" / "result.json").read_text())
    assert saved["frontier"]["style.timbre"]["leace"][-1]["alpha"] == 1.0
