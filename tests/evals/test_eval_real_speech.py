"""The harness on real and realistic speech (committed fixtures): speaker separation, a known-answer identity
morph, WER with the offline ASR, F0 and speaking rate, batched == one at a time."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from speech_data import KOKORO_VOICES, clip, speakers, voice_clips

from tts_interp.core.paths import cache_dir, file_sha256
from tts_interp.evals import metrics
from tts_interp.evals.items import EvalItem, SpeakerSet
from tts_interp.evals.normalize import get_normalizer
from tts_interp.evals.score_config import load_clip
from tts_interp.evals.scoring import Evaluator

MORPH = [clip(f"morph_jf_alpha_to_jm_kumo_w{w:03d}.flac") for w in (0, 25, 50, 75, 100)]
MORPH_TEXT = "These days a chicken leg is a rare dish."


@pytest.fixture(scope="module")
def embeddings(evaluator: Evaluator) -> dict:
    paths = [p for clips in speakers().values() for p in clips] + MORPH
    out = evaluator.embed_files(paths)
    assert not [e for e in out.values() if isinstance(e, str)]
    return out


def test_same_speaker_scores_above_different_speakers(embeddings: dict) -> None:
    groups = speakers()
    assert len(groups) == 6  # five Kokoro voices + one LibriVox reader, each with 2+ clips
    same, different = [], []
    for (a, clips_a), (b, clips_b) in itertools.combinations_with_replacement(groups.items(), 2):
        pairs = itertools.combinations(clips_a, 2) if a == b else itertools.product(clips_a, clips_b)
        (same if a == b else different).extend(metrics.cosine(embeddings[x], embeddings[y]) for x, y in pairs)
    assert np.mean(same) > np.mean(different) + 0.15
    for name, clips in groups.items():  # each speaker: its own clips are nearer than anyone else's, on average
        own = [metrics.cosine(embeddings[x], embeddings[y]) for x, y in itertools.combinations(clips, 2)]
        others = [metrics.cosine(embeddings[x], embeddings[y]) for x in clips
                  for other, oc in groups.items() if other != name for y in oc]
        assert np.mean(own) > np.mean(others), name


def test_real_recordings_separate_two_arctic_speakers(evaluator: Evaluator) -> None:
    e = evaluator.embed_files([clip("arctic_awb_a0007.flac"), clip("arctic_slt_a0009.flac"),
                               clip("librivox_two_cities_1.flac"), clip("librivox_two_cities_2.flac")])
    awb, slt, lv1, lv2 = e.values()
    assert metrics.cosine(lv1, lv2) > metrics.cosine(awb, slt) + 0.2


def test_verifier_eer_on_fixture_speakers_is_low(evaluator: Evaluator) -> None:
    items = [EvalItem(id=name, audio=clips[0], reference=SpeakerSet(name, tuple(clips)))
             for name, clips in speakers().items()]
    calibration = evaluator.calibrate(items)
    assert calibration["available"]
    assert calibration["n_speakers"] == 6 and calibration["n_target_trials"] == 18
    assert calibration["eer"] < 0.2
    low, high = calibration["eer_ci95"]
    assert low <= calibration["eer"] <= high


def test_identity_shift_rises_monotonically_along_the_morph(evaluator: Evaluator) -> None:
    source = SpeakerSet("jf_alpha", tuple(voice_clips("jf_alpha")))
    target = SpeakerSet("jm_kumo", tuple(voice_clips("jm_kumo")))
    items = [EvalItem(id=p.stem, audio=p, text=MORPH_TEXT, source=source, target=target) for p in MORPH]
    rows = evaluator.score_batch(items)
    assert all(r["status"] == "ok" for r in rows), [r["error"] for r in rows]
    shifts = [r["identity_shift"] for r in rows]
    shares = [r["identity_shift_cosine"] for r in rows]
    assert all(a < b for a, b in itertools.pairwise(shifts)), shifts
    assert all(a < b for a, b in itertools.pairwise(shares)), shares
    assert shifts[0] < 0.35 and shifts[-1] > 0.7
    assert rows[0]["source_target_similarity"] == pytest.approx(rows[-1]["source_target_similarity"])
    # the male target voice is lower: F0 falls along the morph, by more than half an octave at the end
    f0 = [r["f0_shift_semitones"] for r in rows]
    assert f0[-1] < -6 and f0[-1] < f0[0]


def test_wer_near_zero_on_clean_synthetic_speech(asr_evaluator: Evaluator) -> None:
    texts = {"s1": "The birch canoe slid on the smooth planks.", "s2": "Glue the sheet to the dark blue background.",
             "s3": "It is easy to tell the depth of a well."}
    items = [EvalItem(id=f"{v}_{s}", audio=clip(f"kokoro_{v}_{s}.flac"), text=t)
             for v in ("jf_gongitsune", "jm_kumo") for s, t in texts.items()]
    rows = asr_evaluator.score_batch(items)
    assert all(r["status"] == "ok" for r in rows)
    errors = sum(r["word_errors"] for r in rows)
    words = sum(r["ref_words"] for r in rows)
    assert words == 52
    assert errors / words <= 0.05


def test_normaliser_matters_on_spoken_numbers(asr_evaluator: Evaluator) -> None:
    item = EvalItem(id="numbers", audio=clip("kokoro_jf_alpha_numbers.flac"),
                    text="I'll pay twenty dollars at ten o'clock, won't I?")
    [row] = asr_evaluator.score_batch([item])
    assert row["status"] == "ok"
    seed = get_normalizer("seed-tts")
    seed_wer = metrics.edit_counts(seed(item.text), seed(row["hypothesis"])).wer
    assert row["wer"] < seed_wer  # digits vs spoken numbers only count as errors without number normalisation


def test_speaking_rate_and_duration(evaluator: Evaluator) -> None:
    normal = EvalItem(id="normal", audio=clip("kokoro_jf_alpha_s1.flac"), text="The birch canoe slid on the smooth "
                      "planks.", reference=SpeakerSet("a", (clip("kokoro_jf_alpha_s2.flac"),)))
    fast = EvalItem(id="fast", audio=clip("kokoro_jf_alpha_s1_fast.flac"), text=normal.text,
                    reference=normal.reference)
    rows = {r["id"]: r for r in evaluator.score_batch([normal, fast])}
    assert rows["fast"]["speaking_rate_wps"] > 1.2 * rows["normal"]["speaking_rate_wps"]
    assert rows["fast"]["duration_s"] < rows["normal"]["duration_s"]
    assert rows["normal"]["speech_s"] <= rows["normal"]["duration_s"]


def test_batched_embeddings_equal_one_at_a_time_and_resemblyzer(evaluator: Evaluator) -> None:
    backend = evaluator._backend("speaker")
    prepared = [backend.prepare(load_clip(p)) for p in voice_clips("jf_nezumi")]
    batched = backend.embed(prepared)
    single = np.concatenate([backend.embed([p]) for p in prepared])
    reference = np.stack([backend.encoder.embed_utterance(p) for p in prepared])
    np.testing.assert_allclose(batched, single, atol=1e-5)
    np.testing.assert_allclose(batched, reference, atol=1e-5)


def test_embeddings_are_cached_by_file_hash(evaluator: Evaluator, tmp_path) -> None:
    path = tmp_path / "copy.flac"
    path.write_bytes(clip("kokoro_jm_kumo_s2.flac").read_bytes())
    first = evaluator.embed_files([path])[path]
    cache = evaluator.embedding_cache()
    stored = cache.get(file_sha256(path))
    np.testing.assert_allclose(stored, first, atol=1e-6)
    assert cache.root.parent == cache_dir() / "embeddings" and "resemblyzer" in cache.root.name


def test_every_voice_is_recognised_by_its_own_centroid(evaluator: Evaluator, embeddings: dict) -> None:
    models = {v: evaluator.speaker_centroid(SpeakerSet(v, tuple(voice_clips(v)[:2]))) for v in KOKORO_VOICES}
    for v in KOKORO_VOICES:
        held_out = embeddings[voice_clips(v)[2]]
        scores = {k: metrics.cosine(held_out, m) for k, m in models.items()}
        assert max(scores, key=scores.get) == v, scores
