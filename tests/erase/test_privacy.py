"""The attackers on embeddings with known answers: separable voices are found, identical voices are chance."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tts_interp.core.errors import BadInputError
from tts_interp.evals import privacy
from tts_interp.evals.privacy_sweep import frontier


def clips(voices: int = 4, texts: int = 4, spread: float = 0.05, same: bool = False, seed: int = 0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(voices, 16))
    if same:
        centres[:] = centres[0]
    return [privacy.Clip(f"v{v}", t, centres[v] + spread * rng.normal(size=16))
            for v in range(voices) for t in range(texts)]


def test_enrolment_and_trials_use_different_texts():
    enrol, trials = privacy.enrolment_split(clips())
    assert {c.text_index for c in enrol} == {0, 1} and {c.text_index for c in trials} == {2, 3}
    with pytest.raises(BadInputError, match="two texts"):
        privacy.enrolment_split(clips(texts=1))


def test_separable_voices_give_eer_zero_and_perfect_identification():
    plain = clips()
    result = privacy.baseline(plain)
    assert result["ignorant_eer"]["value"] == 0.0
    assert result["identification"]["value"] == 1.0 and result["identification"]["chance"] == 0.25
    assert result["ignorant_eer"]["n_target"] == 8 and result["ignorant_eer"]["n_nontarget"] == 24


def test_erased_voices_that_all_sound_alike_leave_the_attackers_at_chance():
    erased = clips(same=True, spread=1.0, seed=1, voices=4, texts=40)
    plain = clips(voices=4, texts=40)
    result = privacy.attackers(plain, erased)
    assert abs(result["ignorant_eer"]["value"] - 0.5) < 0.15
    low, high = result["identification"]["ci95"]
    assert low <= 0.25 <= high
    assert 0.0 <= result["lazy_informed_eer"]["ci95"][0] <= result["lazy_informed_eer"]["value"]


def test_frontier_starts_at_the_unerased_point_and_orders_by_alpha():
    rows = [{"method": "none", "site": "", "alpha": 0.0, "ignorant_eer": 0.1, "wer": 0.05}]
    rows += [{"method": "leace", "site": "s", "alpha": a, "ignorant_eer": e, "ignorant_eer_ci95": [e, e],
              "wer": w, "wer_ci95": [w, w]} for a, e, w in ((0.5, 0.2, 0.1), (1.0, 0.4, 0.3))]
    points = frontier(rows)["s"]["leace"]
    assert [p["alpha"] for p in points] == [0.0, 0.5, 1.0]
    assert points[0]["ignorant_eer"] == 0.1 and points[0]["unerased"]


def test_a_manifest_of_reference_clips_gives_labelled_runs(tmp_path):
    from tts_interp.interventions.erase_fit import manifest_runs, split_runs

    rows = [{"text": f"text {k}", "ref_audio": f"clips/{name}-{k}.wav", "ref_text": "hi", "gender": gender}
            for name, gender in (("ann", "f"), ("bea", "f"), ("carl", "m"), ("dan", "m")) for k in range(2)]
    path = tmp_path / "clips.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    runs = manifest_runs(path, "gender")
    assert [r.label for r in runs[:2]] == ["f", "f"] and runs[0].request.ref_audio == str(tmp_path / "clips/ann-0.wav")
    assert len({r.voice for r in runs}) == 8  # each clip is its own voice unless the row names one
    train = split_runs(runs, "gender", 0.5, seed=0)
    assert train.sum() == 4 and len({r.label for r, t in zip(runs, train, strict=True) if not t}) == 2
    speakers = manifest_runs(path, "speaker")
    assert speakers[0].label == speakers[0].voice
    path.write_text(json.dumps({"text": "x", "speaker": "aria"}) + "\n")
    with pytest.raises(BadInputError, match="no 'gender' field"):
        manifest_runs(path, "gender")
