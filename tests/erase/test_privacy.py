"""The attackers on embeddings with known answers: separable voices are found, identical voices are chance."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from tts_interp.core.errors import BadInputError
from tts_interp.evals import privacy
from tts_interp.evals.attackers import AttackClip, attack_clip, frontier, score_attackers, score_rows


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
    def row(condition, method, alpha, eer, wer):  # noqa: ANN001, ANN202
        return {"condition": condition, "method": method, "site": "s" if method else None, "alpha": alpha,
                "ignorant_eer": eer, "ignorant_eer_ci95": [eer, eer], "wer": wer, "wer_ci95": [wer, wer]}

    table = [row("original", None, None, 0.1, 0.05), row("b", "leace", 1.0, 0.4, 0.3), row("a", "leace", 0.5, 0.2, 0.1)]
    points = frontier(table, ["method", "site", "alpha"])["s"]["leace"]
    assert [p["alpha"] for p in points] == [0.0, 0.5, 1.0]
    assert points[0]["ignorant_eer"] == 0.1 and points[0]["unerased"]
    assert frontier(table, ["method", "site"]) == {}  # no alpha: no frontier


def embedded(clips: list[AttackClip], table: dict[Path, np.ndarray]):  # noqa: ANN201
    return lambda paths: {p: table[p] for p in paths}


def test_the_set_scorer_finds_a_voice_swap_that_fools_the_ignorant_attacker_but_not_the_lazy_one():
    """Known answer: condition `same` re-plays the originals; `swap` is every voice spoken by the next voice (a
    consistent conversion): the ignorant attacker fails, the lazy-informed one (enrolled on swapped speech) does not."""
    voices, texts = 4, 3
    plain = clips(voices=voices, texts=texts)
    table = {Path(f"orig/{c.voice}-{c.text_index}"): c.embedding for c in plain}
    rows = [AttackClip(f"o{p}", p.name.split("-")[0], f"text {p.name[-1]}", p) for p in table]
    for p in list(table):
        voice, k = p.name.split("-")
        table[Path(f"same/{p.name}")] = table[p]
        other = f"v{(int(voice[1:]) + 1) % voices}"
        table[Path(f"swap/{p.name}")] = table[Path(f"orig/{other}-{k}")]
        rows += [AttackClip(f"{cond}{p}", voice, f"text {k}", Path(f"{cond}/{p.name}"), {"condition": cond}, p)
                 for cond in ("same", "swap")]
    result = score_attackers(rows, embedded(rows, table))
    by = {r["condition"]: r for r in result["conditions"]}
    assert list(by) == ["original", "same", "swap"] and result["n_voices"] == 4
    assert by["same"]["ignorant_eer"] == by["original"]["ignorant_eer"] == 0.0
    assert by["swap"]["identification"] == 0.0 and by["swap"]["ignorant_eer"] >= 0.5
    assert by["swap"]["lazy_informed_eer"] == 0.0
    assert by["swap"]["ignorant_eer_n_target"] == 8 and by["swap"]["ignorant_eer_n_nontarget"] == 24
    low, high = by["swap"]["ignorant_eer_ci95"]
    assert low <= by["swap"]["ignorant_eer"] <= high
    assert by["original"]["wer"] is None and by["original"]["wer_n"] == 0  # no ASR rows given: no utility, said so


def test_rows_that_cannot_be_attacked_are_listed_with_why():
    assert "voice" in attack_clip("a", Path("x.wav"), "hi", None, None, None)
    assert "text" in attack_clip("a", Path("x.wav"), "", "v", None, None)
    assert "original" in attack_clip("a", Path("x.wav"), "hi", "v", "erased", None)
    assert "condition" in attack_clip("a", Path("x.wav"), "hi", "v", 3, Path("o.wav"))
    made = attack_clip("a", Path("x.wav"), "hi", "v", {"alpha": 1.0}, Path("o.wav"))
    assert isinstance(made, AttackClip) and made.condition == {"alpha": 1.0} and made.original == Path("o.wav")
    result = score_rows(["no voice"], ["row1"], lambda paths: {}, {})
    assert result["conditions"] == [] and "original speech" in result["reason"]
    assert result["unusable"] == [{"id": "row1", "reason": "no voice"}]


def test_a_manifest_of_reference_clips_gives_labelled_runs(tmp_path):
    from tts_interp.interventions.erasure.fit import manifest_runs, split_runs
    from tts_interp.models.qwen3_tts.hook import Qwen3TTSRunHook

    session = SimpleNamespace(adapter=SimpleNamespace(request_of=Qwen3TTSRunHook.request_of))  # a Base model's

    rows = [{"text": f"text {k}", "ref_audio": f"clips/{name}-{k}.wav", "ref_text": "hi", "gender": gender}
            for name, gender in (("ann", "f"), ("bea", "f"), ("carl", "m"), ("dan", "m")) for k in range(2)]
    path = tmp_path / "clips.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    runs = manifest_runs(session, path, "gender")
    assert [r.label for r in runs[:2]] == ["f", "f"] and runs[0].request.ref_audio == str(tmp_path / "clips/ann-0.wav")
    assert len({r.voice for r in runs}) == 8  # each clip is its own voice unless the row names one
    train = split_runs(runs, "gender", 0.5, seed=0)
    assert train.sum() == 4 and len({r.label for r, t in zip(runs, train, strict=True) if not t}) == 2
    speakers = manifest_runs(session, path, "speaker")
    assert speakers[0].label == speakers[0].voice
    path.write_text(json.dumps({"text": "x", "speaker": "aria"}) + "\n")
    with pytest.raises(BadInputError, match="no 'gender' field"):
        manifest_runs(session, path, "gender")
