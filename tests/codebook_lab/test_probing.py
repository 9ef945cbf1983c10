"""Probes: the utterance-level split, and a known-answer set with speaker identity in codebook 2 only."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tts_interp.codecs.store import EncodedUtterance
from tts_interp.data.datasets import Utterance
from tts_interp.interventions.codebooks.probes import run_probes
from tts_interp.interventions.codebooks.probing import split_utterances

SPEAKER_CODEBOOK = 2


def test_split_is_by_utterance_stratified_and_lists_unsplittable_speakers() -> None:
    utts = [f"u{i}" for i in range(23)]
    speakers = ["a"] * 10 + ["b"] * 6 + ["c"] * 6 + ["solo"]
    for seed in range(5):
        split = split_utterances(utts, speakers, 0.3, seed)
        assert not split.train & split.test
        assert split.train | split.test == set(utts)
        for speaker in ("a", "b", "c"):
            mine = {u for u, s in zip(utts, speakers, strict=True) if s == speaker}
            assert mine & split.test and mine & split.train
        assert "u22" in split.train and split.unsplittable[0]["item"] == "solo"
        assert "only one utterance" in split.unsplittable[0]["reason"]
    assert split_utterances(utts, speakers, 0.3, 1) == split_utterances(utts, speakers, 0.3, 1)


def synthetic_items(n_codebooks: int, codebook_size: int, seed: int = 0) -> list[EncodedUtterance]:
    """4 speakers x 6 utterances x 40 frames; codebook 2 draws from 3 entries owned by the speaker, every
    other codebook draws uniformly from all entries, whoever speaks."""
    rng = np.random.default_rng(seed)
    pools = rng.choice(codebook_size, size=(4, 3), replace=False)
    items = []
    for speaker in range(4):
        for utt in range(6):
            codes = rng.integers(0, codebook_size, size=(40, n_codebooks))
            codes[:, SPEAKER_CODEBOOK] = rng.choice(pools[speaker], size=40)
            utterance = Utterance(f"s{speaker}_u{utt}", Path("synthetic"), f"s{speaker}")
            items.append(EncodedUtterance(utterance, codes, f"key{speaker}{utt}"))
    return items


def test_probe_finds_speaker_in_codebook_2_and_only_there(qwen, tmp_path: Path) -> None:
    items = synthetic_items(qwen.n_codebooks, qwen.codebook_size)
    result = run_probes(
        qwen,
        items,
        tmp_path,
        tasks=["speaker"],
        seed=0,
        test_fraction=0.34,
        n_permutations=100,
        n_bootstrap=100,
    )
    rows = result["tasks"]["speaker"]["results"]
    single = {r["codebook"]: r for r in rows if r["mode"] == "single"}
    cumulative = {r["codebook"]: r for r in rows if r["mode"] == "cumulative"}
    found = single[SPEAKER_CODEBOOK]
    assert found["accuracy"] > 0.95 and found["p_value"] < 0.05 and found["q_value_bh"] < 0.05
    assert found["ci95"]["accuracy"][0] > 0.8
    assert found["selectivity"]["accuracy"] > 0.4  # control: a random label per utterance (8 test utterances)
    for k, row in single.items():
        if k != SPEAKER_CODEBOOK:
            assert row["accuracy"] < 0.45, (k, row["accuracy"])  # chance is 0.25
            assert row["accuracy"] < found["accuracy"] - 0.5
    assert all(cumulative[k]["accuracy"] < 0.45 for k in (0, 1))
    # adding codebook 2 to the sum reveals the speaker; later random codebooks dilute it in the shared space
    assert cumulative[SPEAKER_CODEBOOK]["accuracy"] > cumulative[1]["accuracy"] + 0.3
    assert 0.15 < found["chance"]["accuracy"] < 0.35
    saved = (tmp_path / "result.json").read_text()
    assert '"seed": 0' in saved and '"test"' in saved
    assert set(result["split"]["train"]).isdisjoint(result["split"]["test"])


def test_fast_scores_match_sklearn() -> None:
    from sklearn.metrics import f1_score, r2_score

    from tts_interp.interventions.codebooks.probing import _scores

    rng = np.random.default_rng(0)
    y, p = rng.integers(0, 5, 200), rng.integers(0, 6, 200)
    scores = _scores("classification", y, p)
    assert np.isclose(
        scores["macro_f1"], f1_score(y, p, labels=np.unique(y), average="macro", zero_division=0)
    )
    assert np.isclose(scores["accuracy"], np.mean(y == p))
    a, b = rng.normal(size=50), rng.normal(size=50)
    assert np.isclose(_scores("regression", a, b)["r2"], r2_score(a, b))


def test_benjamini_hochberg_matches_the_textbook_procedure() -> None:
    from tts_interp.core.stats import benjamini_hochberg

    q = benjamini_hochberg([0.01, 0.04, 0.03, 0.5])
    np.testing.assert_allclose(q, [0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, 0.5])  # sorted p x m / rank, then a running min
