"""Item 3: the identity shift is calibrated at both ends on real speech (committed Kokoro fixtures): a held-out
clip of the source speaker scores 0 on average and one of the target 1, and the raw projection is kept."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from speech_data import KOKORO_VOICES, voice_clips

from tts_interp.evals import metrics
from tts_interp.evals.items import EvalItem, SpeakerSet
from tts_interp.evals.score_config import ScoreConfig
from tts_interp.evals.scoring import Evaluator


@pytest.fixture(scope="module")
def speaker_only(private_cache: None) -> Evaluator:
    return Evaluator(ScoreConfig(scorers=("speaker",), device="cpu", batch_size=8))


def test_held_out_source_scores_0_and_target_scores_1(speaker_only: Evaluator) -> None:
    items = []
    for a, b in itertools.permutations(KOKORO_VOICES, 2):  # every ordered pair, every held-out clip of each
        for h, g in itertools.product(range(3), range(3)):
            clips_a, clips_b = voice_clips(a), voice_clips(b)
            source = SpeakerSet(f"{a}-{h}", tuple(c for i, c in enumerate(clips_a) if i != h))
            target = SpeakerSet(f"{b}-{g}", tuple(c for i, c in enumerate(clips_b) if i != g))
            items += [EvalItem(f"{a}>{b}:{h}{g}:src", clips_a[h], source=source, target=target),
                      EvalItem(f"{a}>{b}:{h}{g}:tgt", clips_b[g], source=source, target=target)]
    rows = speaker_only.score_batch(items)
    assert all(r["status"] == "ok" for r in rows), [r["error"] for r in rows if r["error"]][:3]
    # pairs the verifier cannot tell apart on 2 clips each get no calibrated shift, and say why
    undefined = [r for r in rows if r["identity_shift"] is None]
    assert all("barely tells source from target" in r["identity_shift_scale"] for r in undefined)
    assert len(undefined) <= 0.15 * len(rows)
    src = np.array([r["identity_shift"] for r in rows if r["id"].endswith("src") and r["identity_shift"] is not None])
    tgt = np.array([r["identity_shift"] for r in rows if r["id"].endswith("tgt") and r["identity_shift"] is not None])
    raw_src = np.array([r["identity_shift_raw"] for r in rows if r["id"].endswith("src")])
    assert len(src) == len(tgt) >= 150
    assert abs(src.mean()) <= 0.05 and abs(tgt.mean() - 1.0) <= 0.05, (src.mean(), tgt.mean())
    assert raw_src.mean() > 0.05  # the raw projection does not start at 0: why it is calibrated


def test_shift_scale_puts_leave_one_out_clips_at_0_and_1() -> None:
    rng = np.random.default_rng(0)
    s_mean, t_mean = rng.normal(size=16), rng.normal(size=16)
    source = s_mean + 0.6 * rng.normal(size=(6, 16))
    target = t_mean + 0.6 * rng.normal(size=(6, 16))
    scale = metrics.shift_scale(source, target)
    assert scale.start > 0.0 and scale.end < 1.0  # unedited clips do not sit at the centroids
    s, t = metrics.centroid(source), metrics.centroid(target)
    held_out = [metrics.identity_shift(s_mean + 0.6 * rng.normal(size=16), s, t, scale).calibrated
                for _ in range(400)]
    assert abs(np.mean(held_out)) < 0.1
    one = metrics.shift_scale(source[:1], target)  # one source clip: it is the model, its end the raw 0
    assert one.start == pytest.approx(0.0, abs=1e-9) and one.end < 1.0
