"""The semi-informed attacker, the held-out protocol of an eraser's scores, and CIs that resample voices.

Known answers on embeddings: an identity "eraser" gives the semi-informed attacker its baseline EER; a map of
every voice to one voice gives 0.5; attacker voices must be disjoint from the attacked ones. Every score of an
edit says whether it is open-set, closed-set or partial-overlap, with a warning for the last two.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tts_interp.core.errors import BadInputError
from tts_interp.core.protocol import FitSet, protocol_of
from tts_interp.core.stats import cluster_bootstrap, nested_bootstrap, percentile_interval
from tts_interp.evals import privacy
from tts_interp.evals.attackers import ATTACKER, AttackClip, score_attackers

DIM = 16


def voice_clips(names: list[str], texts: int = 4, spread: float = 0.3, seed: int = 0) -> list[privacy.Clip]:
    rng = np.random.default_rng(seed)
    centres = {v: rng.normal(size=DIM) for v in names}
    return [privacy.Clip(v, t, centres[v] + spread * rng.normal(size=DIM)) for v in names for t in range(texts)]


EVALUATED = [f"e{k}" for k in range(6)]
OWN = [f"a{k}" for k in range(6)]


def test_identity_eraser_gives_the_semi_informed_baseline():
    plain, own = voice_clips(EVALUATED), voice_clips(OWN, seed=1)
    base = privacy.baseline(plain, attacker=own)
    replay = privacy.attackers(plain, plain, attacker=own)  # the "eraser" changed nothing
    assert replay["semi_informed_eer"]["value"] == pytest.approx(base["semi_informed_eer"]["value"])
    assert replay["semi_informed_eer"]["ci95"] == pytest.approx(base["semi_informed_eer"]["ci95"])
    assert base["semi_informed_eer"]["value"] < 0.2  # the back-end still tells separable voices apart
    assert "LDA (5 dims" in base["semi_informed_eer"]["backend"]


def test_every_voice_mapped_to_one_voice_gives_chance():
    plain, own = voice_clips(EVALUATED), voice_clips(OWN, seed=1)
    one = plain[0].embedding
    collapsed = [privacy.Clip(c.voice, c.text_index, one.copy()) for c in plain]
    own_collapsed = [privacy.Clip(c.voice, c.text_index, one.copy()) for c in own]
    # the attacker's own voices are collapsed too (it owns the eraser): LDA trains on identical rows
    result = privacy.attackers(plain, collapsed, attacker=own_collapsed + own[:1])
    assert result["semi_informed_eer"]["value"] == pytest.approx(0.5)
    assert result["ignorant_eer"]["value"] == pytest.approx(0.5)
    assert result["lazy_informed_eer"]["value"] == pytest.approx(0.5)


def test_semi_informed_needs_its_own_disjoint_voices():
    plain = voice_clips(EVALUATED)
    with pytest.raises(BadInputError, match="disjoint"):
        privacy.semi_informed(voice_clips(EVALUATED[:3], seed=2), plain)
    with pytest.raises(BadInputError, match="at least 2 voices"):
        privacy.semi_informed(voice_clips(["a0"], seed=2), plain)


def test_semi_informed_attacker_undoes_a_fixed_rotation_the_ignorant_one_cannot():
    """An 'eraser' that rotates every embedding by one fixed orthogonal map: the ignorant attacker (enrolled on
    the originals) is lost, the semi-informed one, trained on rotated speech of its own voices, is not."""
    plain, own = voice_clips(EVALUATED, texts=6), voice_clips(OWN, texts=6, seed=1)
    rotation, _ = np.linalg.qr(np.random.default_rng(5).normal(size=(DIM, DIM)))
    def turn(cs):  # noqa: ANN001, ANN202
        return [privacy.Clip(c.voice, c.text_index, rotation @ c.embedding) for c in cs]
    result = privacy.attackers(plain, turn(plain), attacker=turn(own))
    assert result["ignorant_eer"]["value"] > 0.25
    assert result["semi_informed_eer"]["value"] < 0.15


def test_voice_level_ci_is_wider_than_a_clip_level_one_when_voices_differ():
    """Two voices, one always right and one always wrong: a CI that resamples voices spans 0..1; one that treats
    the 40 clips as independent would be narrow. The attackers' CIs resample voices, then clips."""
    voices = np.array(["a"] * 20 + ["b"] * 20)
    hits = np.array([1.0] * 20 + [0.0] * 20)
    rng = np.random.default_rng(0)
    nested = nested_bootstrap(voices, np.arange(40), lambda rows: float(hits[rows].mean()), 400, rng)
    clipwise = cluster_bootstrap(np.arange(40), lambda rows: float(hits[rows].mean()), 400, np.random.default_rng(0))
    low, high = percentile_interval(nested)
    c_low, c_high = percentile_interval(clipwise)
    assert low == 0.0 and high == 1.0
    assert c_high - c_low < 0.4


def test_identification_ci_resamples_voices():
    plain = voice_clips(EVALUATED)
    result = privacy.baseline(plain)
    assert result["identification"]["ci_resamples"] == "voices, then clips within each"
    assert result["ignorant_eer"]["n_voices"] == len(EVALUATED)


@pytest.mark.parametrize(("fit", "voices", "expected", "overlap"), [
    (["x", "y"], ["a", "b"], "open-set", []),
    (["a", "b", "c"], ["a", "b"], "closed-set", ["a", "b"]),
    (["a", "x"], ["a", "b"], "partial-overlap", ["a"]),
])
def test_protocol_of_names_the_overlap(fit, voices, expected, overlap):  # noqa: ANN001
    found = protocol_of(FitSet.of(fit, ["t1"]), voices, ["t2"])
    assert found["protocol"] == expected and found["overlapping_voices"] == overlap
    assert found["text_protocol"] == "open-set"
    assert protocol_of(None, voices)["protocol"] == "unknown"


def _attack_set(tmp: Path, fit: FitSet | None) -> list[AttackClip]:
    """3 evaluated voices x 4 texts (original + erased) and 3 attacker voices, embeddings by path."""
    out = []
    for role, names in (("evaluated", ["e0", "e1", "e2"]), (ATTACKER, ["a0", "a1", "a2"])):
        for v in names:
            for t in range(4):
                original = tmp / f"{v}-{t}.wav"
                out.append(AttackClip(f"{v}{t}", v, f"text {t}", original, {}, None, role))
                out.append(AttackClip(f"{v}{t}x", v, f"text {t}", tmp / f"{v}-{t}-x.wav",
                                      {"method": "leace", "alpha": 1.0}, original, role, fit))
    return out


def _embed(paths: list[Path]) -> dict[Path, np.ndarray]:
    rng = np.random.default_rng(0)
    centres = {}
    out = {}
    for p in paths:
        voice = p.name.split("-")[0]
        centres.setdefault(voice, rng.normal(size=DIM))
        out[p] = centres[voice] + 0.2 * rng.normal(size=DIM)
    return out


def test_attackers_table_says_closed_set_and_warns(tmp_path: Path):
    closed = score_attackers(_attack_set(tmp_path, FitSet.of(["e0", "e1", "e2"], ["text 0"])),
                             {"resemblyzer": _embed, "dvector": _embed})
    rows = [r for r in closed["conditions"] if r["condition"] != "original"]
    assert [r["verifier"] for r in rows] == ["resemblyzer", "dvector"]
    assert {r["protocol"] for r in rows} == {"closed-set"} and rows[0]["overlapping_voices"] == ["e0", "e1", "e2"]
    assert rows[0]["text_protocol"] == "partial-overlap"
    assert closed["protocol"]["warnings"] and closed["protocol"]["warnings"][0].startswith("closed-set")
    assert rows[0]["semi_informed_eer"] is not None and closed["attacker_voices"] == ["a0", "a1", "a2"]
    assert closed["n_voices"] == 3  # the attacker's own voices are not attacked
    opened = score_attackers(_attack_set(tmp_path, FitSet.of(["f0", "f1"], ["other"])), _embed)
    assert {r["protocol"] for r in opened["conditions"][1:]} == {"open-set"} and not opened["protocol"]["warnings"]


def test_semi_informed_back_end_learns_which_directions_still_carry_the_voice():
    """An 'eraser' that drowns identity in loud per-clip noise on 12 of 16 dimensions but leaves it in the other 4:
    cosine scoring on erased enrolments (lazy-informed) is fooled; the LDA trained on the attacker's own erased
    voices finds the 4 quiet dimensions (semi-informed)."""
    rng = np.random.default_rng(3)

    def voices(names: list[str]) -> list[privacy.Clip]:
        centres = {v: np.r_[rng.normal(size=4), np.zeros(DIM - 4)] for v in names}
        return [privacy.Clip(v, t, centres[v] + np.r_[0.05 * rng.normal(size=4), 3.0 * rng.normal(size=DIM - 4)])
                for v in names for t in range(8)]

    plain = voice_clips(EVALUATED, texts=8)
    result = privacy.attackers(plain, voices(EVALUATED), attacker=voices(OWN))
    assert result["lazy_informed_eer"]["value"] > 0.2
    assert result["semi_informed_eer"]["value"] < 0.05


def test_prosody_kept_per_condition_and_the_table_writes(tmp_path: Path):
    """With prosody, each edited condition reports the F0-contour correlation with its originals and the rate
    change (a replay keeps all of it: 1 and 0); the table, whose original row has no such columns, still writes."""
    from tts_interp.core.results import write_csv

    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "speech"
    clips = []
    for voice in ("jf_alpha", "jf_nezumi"):
        for s in ("s1", "s2"):
            original = fixtures / f"kokoro_{voice}_{s}.flac"
            clips += [AttackClip(f"{voice}{s}", voice, s, original),
                      AttackClip(f"{voice}{s}r", voice, s, original, {"condition": "replay"}, original)]
    scored = score_attackers(clips, _embed, prosody=True)
    replay = next(r for r in scored["conditions"] if r["condition"] == "replay")
    assert replay["f0_correlation"] == pytest.approx(1.0) and replay["rate_change"] == pytest.approx(0.0)
    assert replay["f0_correlation_n"] == 4 and "f0_correlation" not in scored["conditions"][0]
    text = write_csv(tmp_path / "t.csv", scored["conditions"]).read_text().splitlines()
    assert "f0_correlation" in text[0] and len(text) == 3
