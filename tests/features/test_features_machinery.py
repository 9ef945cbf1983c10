"""Feature-discovery machinery on known answers, without a model: top-k, purity/AUC, shards, SAEs, edits,
espeak alignments, non-speech mixing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from tts_interp.core.errors import BadInputError, UnknownNameError
from tts_interp.data.nonspeech import make_sound, mix_at_snr
from tts_interp.interventions.features.edits import FeatureEdit, frame_mask, make_edit
from tts_interp.interventions.features.purity import unit_purity
from tts_interp.interventions.features.topk import UnitStats, split_id


def test_streamed_topk_equals_brute_force_on_both_signs() -> None:
    rng = np.random.default_rng(0)
    clips = [torch.from_numpy(rng.standard_normal((int(n), 7)).astype(np.float32)) for n in (13, 40, 5, 22)]
    stats = UnitStats(7, k=6)
    for index, acts in enumerate(clips):
        stats.update(acts, index)
    everything = torch.cat(clips)
    assert torch.equal(stats.positive.values, everything.T.topk(6, dim=1).values)
    assert torch.equal(-stats.negative.values, (-everything).T.topk(6, dim=1).values.neg())
    clip, frame = split_id(int(stats.positive.ids[3, 0]))
    assert clips[clip][frame, 3] == everything[:, 3].max()
    assert torch.allclose(stats.density().float(), (everything > 0).float().mean(0).float())


def test_purity_and_auc_on_a_known_unit() -> None:
    codes = np.array([0] * 50 + [1] * 50)
    frames = np.zeros((100, 2), np.float32)
    frames[:50, 0] = 5.0 + np.arange(50) * 0.01  # unit 0 fires on class "a" only: AUC 1
    frames[:, 1] = np.random.default_rng(0).standard_normal(100)
    z = (18 - 20 * 0.5) / np.sqrt(20 * 0.25)  # "a" 18 of 20 top frames at base rate 0.5
    pure = unit_purity(0, ["a"] * 18 + ["b"] * 2, frames, codes, {"a": 0, "b": 1}, np.array([0.0, z, 1.0]), 4)
    assert pure.top_class == "a" and pure.purity == 0.9 and pure.base_rate == 0.5 and pure.auc == 1.0
    assert pure.p_value == 2 / 4 and pure.min_p == 1 / 4 and pure.n_clips == 4  # one null reached z
    empty = unit_purity(1, [None, None], frames, codes, {"a": 0, "b": 1})
    assert empty.purity is None and empty.n_labelled == 0


def test_edits_touch_only_the_chosen_units_on_real_frames() -> None:
    act = torch.randn(2, 10, 6)
    ablate = make_edit(FeatureEdit("s", "ablate", (1, 4)), valid=[7, 3])(act)
    assert torch.equal(ablate[0, :7, [1, 4]], torch.zeros(7, 2)) and torch.equal(ablate[0, 7:], act[0, 7:])
    assert torch.equal(ablate[1, 3:], act[1, 3:])  # padding frames are never edited
    keep = [0, 2, 3, 5]
    assert torch.equal(ablate[..., keep], act[..., keep])
    assert torch.equal(make_edit(FeatureEdit("s", "scale", (2,), 1.0), valid=[10, 10])(act), act)
    steer = make_edit(FeatureEdit("s", "steer", (0,), 2.0, frames=(2, 4)), valid=[10, 10])(act)
    assert torch.allclose(steer[:, 2:4, 0], act[:, 2:4, 0] + 2.0) and torch.equal(steer[:, 4:], act[:, 4:])
    assert frame_mask([3], 5, (1, 9)).squeeze(-1).tolist() == [[False, True, True, False, False]]


def test_edit_checks_name_the_bad_value() -> None:
    with pytest.raises(BadInputError, match=r"units \[9\] are out of range; valid: 0\.\.5"):
        FeatureEdit("s", "ablate", (9,)).check(6)
    with pytest.raises(UnknownNameError, match="ablate, scale, steer, splice"):
        FeatureEdit("s", "zero", (1,)).check(6)


def test_mixing_hits_the_requested_snr() -> None:
    speech = make_sound("tone", 1.0, seed=1, level=0.2)
    noise = make_sound("pink", 1.0, seed=2)
    mixed = mix_at_snr(speech, noise, 5.0)
    added = mixed - speech
    snr = 10 * np.log10(np.mean(speech.astype(np.float64) ** 2) / np.mean(added.astype(np.float64) ** 2))
    assert snr == pytest.approx(5.0, abs=0.01)
    assert not make_sound("silence", 0.5).any()
    with pytest.raises(UnknownNameError, match="silence, white, pink, tone, music"):
        make_sound("rain", 1.0)


def test_espeak_alignment_covers_the_speech_in_order() -> None:
    from tts_interp.data.espeak_speech import synthesize

    clip = synthesize("The birch canoe slid on the smooth planks.", "en-us")
    seconds = len(clip.audio) / clip.sample_rate
    starts = [p.start for p in clip.phones]
    assert starts == sorted(starts) and all(p.end > p.start for p in clip.phones)
    assert 0 <= clip.phones[0].start < 0.2 and clip.phones[-1].end <= seconds + 1e-3
    # espeak-ng speaks "on the" as one prosodic word: its word event names the first
    assert [w.label for w in clip.words] == ["The", "birch", "canoe", "slid", "on", "smooth", "planks"]
    assert {"b", "3:", "tS", "k", "n", "u:"} <= {p.label for p in clip.phones}
    with pytest.raises(BadInputError, match="espeak-ng voice 'xx-nope'"):
        synthesize("hi", "xx-nope")


def test_shards_mark_padding_and_readers_drop_it(tmp_path: Path) -> None:
    from safetensors.torch import load_file

    from tts_interp.interventions.features.corpus import Clip
    from tts_interp.interventions.features.shards import iter_rows, write_shards

    class FakeAdapter:  # the encoder contract: features() then run_encoder(); 8 frames, 3 of them real
        def features(self, audio):
            return torch.zeros(len(audio), 1), [3] * len(audio)

        def run_encoder(self, features, reads=()):
            b = features.shape[0]
            return None, {reads[0]: torch.arange(b * 8 * 2, dtype=torch.float32).reshape(b, 8, 2)}

    clips = [Clip(f"c{i}", np.zeros(10, np.float32)) for i in range(6)]
    index = write_shards(FakeAdapter(), clips, "s", tmp_path, keep_padding=True, batch_size=4)
    shard = load_file(str(tmp_path / index["shards"][0]))
    assert index["rows"] == 6 * 8 and int(shard["padding"].sum()) == 6 * 5
    rows = torch.cat(list(iter_rows(tmp_path, "train", 100)))
    held = torch.cat(list(iter_rows(tmp_path, "heldout", 100)))
    assert len(rows) == 4 * 3 and len(held) == 2 * 3  # clips 0 and 5 held out; padding never read
    assert (rows[:, 0] % 16 < 6).all() and (held[:, 0] % 16 < 6).all()


def test_sae_round_trips_through_safetensors(tmp_path: Path) -> None:
    from dictionary_learning.trainers.top_k import AutoEncoderTopK

    from tts_interp.interventions.features.sae import SAE, SAEConfig, load_sae, save_sae

    torch.manual_seed(0)
    sae = SAE(AutoEncoderTopK(8, 16, 3), 0.5, SAEConfig(kind="topk", dict_size=16, k=3, site="s"))
    save_sae(sae, tmp_path)
    again = load_sae(tmp_path)
    x = torch.randn(4, 8)
    assert torch.equal(sae(x), again(x)) and int((again.encode(x) > 0).sum(1).max()) <= 3
    assert torch.allclose(sae.direction(2).norm(), torch.tensor(1.0))
    with pytest.raises(BadInputError, match="not a saved SAE"):
        load_sae(tmp_path / "missing")


def test_purity_p_clusters_by_clip() -> None:
    """Ten top frames in one 10-frame run of phoneme 0 inside one clip: a binomial test over frames gives
    p ~ 1e-5 (frames as independent), but shifting the clip's phonemes lands a run of 0 on them one time in
    three. Twenty top frames of phoneme 0, one in each of 20 clips where it is 10% of the frames: never by chance."""
    from tts_interp.interventions.features.purity import base_rates, largest_z, shifted_scores

    sequence = np.array(([0] * 10 + [1] * 10 + [2] * 10) * 2)
    base = base_rates(sequence, 3)
    places = np.array([[0, f] for f in range(10)])
    observed = largest_z(np.zeros((1, 10), dtype=np.int64), base)[0]
    null = shifted_scores(places, {0: sequence}, base, 999, np.random.default_rng(0))
    assert (1 + np.sum(null >= observed - 1e-9)) / 1000 > 0.05

    codes = {c: np.array([0] * 6 + [1] * 54) for c in range(20)}
    base = base_rates(np.concatenate(list(codes.values())), 2)
    spread = np.array([[c, 5] for c in range(20)])  # frame 5 of each clip: phoneme 0
    observed = largest_z(np.zeros((1, 20), dtype=np.int64), base)[0]
    null = shifted_scores(spread, codes, base, 999, np.random.default_rng(0))
    assert (1 + np.sum(null >= observed - 1e-9)) / 1000 == 1 / 1000
