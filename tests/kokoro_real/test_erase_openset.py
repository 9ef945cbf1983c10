"""Open-set gender erasure on Kokoro-82M: an eraser fitted on some voices, tested on voices it never saw.

The 28 English voices fall into three disjoint sets: 12 fit the gender eraser (LEACE on both style halves, read
while saying one sentence), 6 train the attacker (a gender classifier on their original speech embeddings), 10
(5 female, 5 male) are evaluated, saying another sentence. With 10 voices an exact permutation test over their
labels has 252 relabellings: p can reach 0.004, so a significant gender read-out is attainable. The original
speech must be classified far above chance (p <= 0.01); the tool labels the result open-set. What LEACE does to
the attacker is recorded (record_property) and reported in the README, not asserted: it is a finding.
"""

from __future__ import annotations

import numpy as np
import torch

from tts_interp.core.protocol import FitSet, protocol_of
from tts_interp.evals.privacy import attribute_attack
from tts_interp.interventions.erasure.eraser import fit_erasers, load_eraser, save_eraser
from tts_interp.interventions.erasure.fit import voice_runs
from tts_interp.interventions.erasure.sweep import plan_erase_sweep, run_erase_sweep

from .conftest import PROBE_TEXT

EVAL_TEXT = "Bring a small snake."
SITES = ("style.timbre", "style.prosody")


def _split(voices: list[str]) -> tuple[list[str], list[str], list[str]]:
    """(fit, attacker, evaluated): alternate voices of each gender into the three sets, 5+5 evaluated."""
    female = [v for v in voices if v[1] == "f"]
    male = [v for v in voices if v[1] == "m"]
    evaluated = female[0:10:2] + male[0:10:2]
    attacker = female[1:6:2] + male[1:6:2]
    fit = [v for v in voices if v not in evaluated + attacker]
    return fit, attacker, evaluated


def test_gender_erasure_is_scored_open_set_with_an_attainable_p(kokoro, english_runs, speaker_backend, tmp_path,
                                                                 record_property):
    collected, audio_dir = english_runs
    voices = [v for v, _ in collected.runs]
    fit, attacker, evaluated = _split(voices)
    assert len(evaluated) == 10 and not set(fit) & set(attacker + evaluated)
    index = [voices.index(v) for v in fit]
    labels = torch.as_tensor([int(v[1] == "m") for v in fit])
    rows = {s: (torch.stack([collected.rows[s][i][0] for i in index]), labels) for s in SITES}
    erasers = fit_erasers(rows, ["f", "m"], kokoro.model, "gender",
                          info={"fit": FitSet.of(fit, [PROBE_TEXT]).to_json()})
    for method in ("leace", "random"):
        save_eraser(erasers[method], tmp_path / "fit" / f"{method}.safetensors")
    assert load_eraser(tmp_path / "fit" / "leace.safetensors").fit_set == FitSet.of(fit, [PROBE_TEXT])
    runs = voice_runs(kokoro, evaluated, [EVAL_TEXT], "gender")
    plan = plan_erase_sweep(kokoro, tmp_path / "fit", runs, [1], kokoro.adapter.settings_of(0, False, 0),
                            ["+".join(SITES)], ["leace", "random"])
    sweep = run_erase_sweep(kokoro, plan, tmp_path / "sweep")
    assert {e["protocol"] for e in sweep["erasers"].values()} == {"open-set"}
    assert protocol_of(FitSet.of(fit, [PROBE_TEXT]), evaluated, [EVAL_TEXT])["text_protocol"] == "open-set"

    def embed(path):  # noqa: ANN001, ANN202
        from tts_interp.evals.score_config import load_clip

        return speaker_backend.embed([speaker_backend.prepare(load_clip(path))])[0]

    # the attacker's classifier: original speech of every voice but the evaluated ones (its own six and the fit set)
    train = [(v, v[1], embed(audio_dir / f"{v}-0" / "audio.wav")) for v in attacker + fit]
    found = {}
    for method in ("plain", "leace", "random"):
        folder = "plain" if method == "plain" else f"cells/{method}/{'+'.join(SITES)}/alpha1"
        test = [(v, v[1], embed(tmp_path / "sweep" / folder / f"run{k:03d}" / "audio.wav"))
                for k, v in enumerate(evaluated)]
        found[method] = attribute_attack(train, test)
    figures = {m: {k: found[m][k] for k in ("value", "ci95", "p_value", "min_p", "chance")} for m in found}
    print("\nopen-set gender attacker on 10 unseen voices", figures)
    record_property("erase_gender_openset", figures)
    assert found["plain"]["min_p"] < 0.01 and found["plain"]["p_value"] <= 0.01
    assert found["random"]["value"] >= 0.8  # a random subspace of the same rank does not hide gender
    assert np.isclose(found["plain"]["chance"], 0.5, atol=0.05)
    # the finding (recorded, not asserted): whether LEACE's rank-1 edit of the style vector, fitted on other
    # voices, hides gender from the audio; the note and the README report it
