"""Voice erasure findings on Kokoro-82M's real (int8-dequantized) weights, CPU; figures printed (-s) and recorded.

- gender: LEACE fitted on half the English voices' rows (the shared `english_runs`) at style.timbre and at a
  decoder site; a probe on the other half's rows is far above chance before (p < 0.05) and at chance after
  (permutation p >= 0.05);
- speaker identity at style.timbre (eraser fitted on another text): the ignorant attacker's EER rises against
  the unerased runs, a random subspace of the same rank moves it less, and the WER at full erasure is recorded.
Small on purpose; scripts/erase_findings.sh measures the same at a larger size.
"""

from __future__ import annotations

import numpy as np
import torch

from tts_interp.core.protocol import FitSet
from tts_interp.evals.privacy_sweep import score_erasure
from tts_interp.interventions.erasure.eraser import fit_erasers, save_eraser
from tts_interp.interventions.erasure.fit import LabelledRun, SiteRows, fit_and_probe, split_runs, voice_runs
from tts_interp.interventions.erasure.sweep import plan_erase_sweep, run_erase_sweep
from tts_interp.models.kokoro.hook import KokoroRequest

from .conftest import DECODER_SITE, PROBE_TEXT

ATTACKED = ["af_heart", "af_nicole", "am_michael", "am_eric"]


def _labelled(collected, label_of) -> tuple[list[LabelledRun], list[str], np.ndarray]:  # noqa: ANN001
    runs = [LabelledRun(KokoroRequest(PROBE_TEXT, voice), label_of(voice), voice) for voice, _ in collected.runs]
    classes = sorted({r.label for r in runs})
    return runs, classes, np.array([classes.index(r.label) for r in runs])


def test_leace_takes_gender_to_chance_on_unseen_voices(english_runs, record_property):
    collected, _ = english_runs
    runs, classes, class_of_run = _labelled(collected, lambda voice: voice[1])
    train = split_runs(runs, "gender", 0.5, seed=0)
    rows = {site: SiteRows.stack(collected.rows[site], class_of_run) for site in ("style.timbre", DECODER_SITE)}
    _, probes = fit_and_probe(rows, runs, "gender", train, classes, "kokoro-82m")
    table = {(p["site"], p["eraser"]): p for p in probes}
    figures = {f"{s} {m}": {k: table[(s, m)][k] for k in ("accuracy", "chance", "p_value", "accuracy_ci95",
                                                            "n_test_units", "rank")}
               for s in rows for m in ("none", "leace", "random")}
    print("\ngender probe on held-out voices", figures)
    record_property("erase_gender", figures)
    for site in rows:
        before, after = table[(site, "none")], table[(site, "leace")]
        assert before["n_test_units"] >= 12 and before["accuracy"] >= 0.8 and before["p_value"] < 0.05
        assert after["p_value"] >= 0.05 and after["accuracy"] <= after["chance"] + 0.15


def test_speaker_erasure_raises_the_ignorant_attackers_eer_more_than_a_random_subspace(
        kokoro, english_runs, tmp_path, record_property):
    collected, _ = english_runs
    keep = [i for i, (voice, _) in enumerate(collected.runs) if voice in ATTACKED]
    x = np.stack([collected.rows["style.timbre"][i][0].numpy() for i in keep])
    labels = torch.as_tensor([ATTACKED.index(collected.runs[i][0]) for i in keep])
    erasers = fit_erasers({"style.timbre": (torch.as_tensor(x), labels)}, ATTACKED, kokoro.model, "speaker",
                          info={"fit": FitSet.of(ATTACKED, [PROBE_TEXT]).to_json()})
    for method in ("leace", "random"):
        save_eraser(erasers[method], tmp_path / "fit" / f"{method}.safetensors")
    runs = voice_runs(kokoro, ATTACKED, ["Bring a small snake.", "Five slabs of cheese."], "speaker")
    plan = plan_erase_sweep(kokoro, tmp_path / "fit", runs, [1], kokoro.adapter.settings_of(0, False, 0), [],
                            ["leace", "random"])
    run_erase_sweep(kokoro, plan, tmp_path / "sweep")
    payload = score_erasure(tmp_path / "sweep")
    rows = {row["method"] or "original": row for row in payload["conditions"]}
    keys = ("ignorant_eer", "ignorant_eer_ci95", "lazy_informed_eer", "identification", "wer", "wer_n")
    figures = {m: {k: rows[m][k] for k in keys} for m in ("original", "leace", "random")}
    print("\nspeaker erasure at style.timbre", figures)
    record_property("erase_speaker_attackers", figures)
    plain, leace, control = rows["original"], rows["leace"], rows["random"]
    assert leace["ignorant_eer_n_target"] == 4 and leace["ignorant_eer_n_nontarget"] == 12
    assert leace["ignorant_eer"] > plain["ignorant_eer"]
    assert leace["ignorant_eer"] - plain["ignorant_eer"] > control["ignorant_eer"] - plain["ignorant_eer"]
    assert leace["wer"] is not None and leace["wer_n"] == 8
    # fitted on the very voices it is scored on: the tool says closed-set and warns
    assert leace["protocol"] == "closed-set" and leace["text_protocol"] == "open-set"
    assert any(w.startswith("closed-set") for w in payload["protocol"]["warnings"])

