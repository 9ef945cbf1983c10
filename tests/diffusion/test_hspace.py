"""h-space: editing invariants, directions (mean difference, PCA, speaker-embedding baseline), sweeps, bad input."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from tts_interp.core.errors import BadInputError, OutOfRangeError
from tts_interp.interventions.hspace.collection import LabelledRequest, collect
from tts_interp.interventions.hspace.directions import Direction, mean_difference, pca
from tts_interp.interventions.hspace.editing import edit, edit_writes
from tts_interp.interventions.hspace.sweep import sweep
from tts_interp.models.denoising.settings import DenoiseRequest
from tts_interp.tracing.selection import parse_t_range
from tts_interp.tracing.store import load_site

TEXTS = ("Hi there.",)


def _speaker_items(groups: dict[str, list[int]]) -> list[LabelledRequest]:
    return [LabelledRequest(DenoiseRequest(text, speaker=s), label)
            for label, speakers in groups.items() for s in speakers for text in TEXTS]


@pytest.fixture(scope="module")
def collection(multispeaker, tmp_path_factory):
    from tts_interp.models.denoising.settings import SamplerSettings

    items = _speaker_items({"a": [0, 1, 2], "b": [3, 4, 5]})
    store = tmp_path_factory.mktemp("hspace") / "activations"
    return collect(multispeaker, items, SamplerSettings(steps=4, seed=3), store_dir=store)


def _random_direction(session, site: str = "denoiser.hspace", per_step: bool = False, steps: int = 4) -> Direction:
    dim = session.site_dim(site)
    vectors = torch.nn.functional.normalize(torch.randn(steps if per_step else 1, dim, generator=torch.Generator()
                                                        .manual_seed(0)), dim=1)
    times = session.adapter.timesteps(replace_steps(steps)) if per_step else (float("nan"),)
    return Direction(session.model, site, "mean_difference", vectors, tuple(times), per_step, 10.0)


def replace_steps(steps: int):
    from tts_interp.models.denoising.settings import SamplerSettings

    return SamplerSettings(steps=steps, seed=3)


@pytest.mark.parametrize("family", ["grad", "f5"])
def test_alpha_zero_is_bit_identical_to_plain_sampling(family, multispeaker, f5, ref_clip, settings) -> None:
    session = multispeaker if family == "grad" else f5
    request = (DenoiseRequest("Hi there.", speaker=2) if family == "grad"
               else DenoiseRequest("Hi.", ref_audio=str(ref_clip), ref_text="A clip."))
    direction = _random_direction(session)
    plain = edit(session, request, settings, None, 0.0, None).sampled
    zero = edit(session, request, settings, direction, 0.0, (0.0, 1.0))
    assert zero.writes  # the edit really went through the engine
    assert torch.equal(plain.mel, zero.sampled.mel) and torch.equal(plain.trajectory, zero.sampled.trajectory)
    moved = edit(session, request, settings, direction, 1.0, (0.0, 1.0)).sampled
    assert not torch.equal(plain.mel, moved.mel)


@pytest.mark.parametrize("family", ["grad", "f5"])
def test_edit_in_a_t_range_leaves_the_trajectory_unchanged_before_it_starts(family, multispeaker, f5, ref_clip,
                                                                            settings) -> None:
    session = multispeaker if family == "grad" else f5
    request = (DenoiseRequest("Hi there.", speaker=2) if family == "grad"
               else DenoiseRequest("Hi.", ref_audio=str(ref_clip), ref_text="A clip."))
    times = session.adapter.timesteps(settings)
    first_edited = 2  # edit steps 2.. in sampling order (Grad-TTS runs t down from 1, F5-TTS up from 0)
    edited_times = times[first_edited:]
    span = (min(edited_times), max(edited_times)) if family == "grad" else (times[first_edited], 1.0)
    plain = edit(session, request, settings, None, 0.0, None).sampled
    moved = edit(session, request, settings, _random_direction(session), 2.0, span).sampled
    for step in range(first_edited + 1):  # states before any edited step ran
        assert torch.equal(plain.trajectory[step], moved.trajectory[step])
    assert not torch.equal(plain.trajectory[first_edited + 1], moved.trajectory[first_edited + 1])


def test_collection_shapes_disk_store_and_norms(collection, multispeaker) -> None:
    assert collection.means.shape == (6, 4, multispeaker.site_dim("denoiser.hspace"))
    assert collection.timesteps == multispeaker.adapter.timesteps(replace_steps(4))
    assert collection.mean_norm > 0 and len(collection.mean_norm_per_step) == 4
    assert torch.isfinite(collection.means).all()
    stored = load_site(collection.store_dir / "item-0000", "denoiser.hspace")
    assert stored.values.shape[1] == collection.means.shape[2] and {r.step for r in stored.rows} == {0, 1, 2, 3}


def test_disk_and_memory_collection_agree(multispeaker, tmp_path: Path) -> None:
    items = _speaker_items({"a": [0], "b": [3]})[:2]
    settings = replace_steps(3)
    on_disk = collect(multispeaker, items, settings, store_dir=tmp_path / "acts")
    in_memory = collect(multispeaker, items, settings)
    assert torch.equal(on_disk.means, in_memory.means)
    rows = load_site(tmp_path / "acts" / "item-0000", "denoiser.hspace")
    assert {r.step for r in rows.rows} == {0, 1, 2}
    assert rows.rows[0].t == pytest.approx(multispeaker.adapter.timesteps(settings)[0])


def test_mean_difference_directions_pooled_and_per_step(collection, tmp_path: Path, multispeaker) -> None:
    pooled = mean_difference(collection, "a", "b")
    per_step = mean_difference(collection, "a", "b", per_step=True)
    assert pooled.vectors.shape == (1, collection.means.shape[2])
    assert per_step.vectors.shape == (4, collection.means.shape[2])
    assert torch.allclose(per_step.vectors.norm(dim=1), torch.ones(4))
    expected = collection.means[3:].mean((0, 1)) - collection.means[:3].mean((0, 1))
    assert torch.allclose(pooled.vectors[0], -expected / expected.norm(), atol=1e-6)
    saved = Direction.load(per_step.save(tmp_path / "d.safetensors"))
    assert torch.equal(saved.vectors, per_step.vectors) and saved.timesteps == per_step.timesteps
    writes = edit_writes(multispeaker, saved, replace_steps(4), 1.0, (0.0, 0.5))
    assert [w.selection.t_range[0] for w in writes] == [t for t in collection.timesteps if t <= 0.5]


def test_pca_components_and_explained_variance(collection) -> None:
    directions, ratios = pca(collection, 3)
    assert len(directions) == 3 and ratios == sorted(ratios, reverse=True) and 0 < sum(ratios) <= 1 + 1e-9
    gram = torch.stack([d.vectors[0] for d in directions]) @ torch.stack([d.vectors[0] for d in directions]).T
    assert torch.allclose(gram, torch.eye(3), atol=1e-5)


def test_a_direction_from_identical_groups_is_refused(collection, single) -> None:
    with pytest.raises(BadInputError, match="same label"):
        mean_difference(collection, "a", "a")
    same = replace(collection, labels=["a"] * 3 + ["b"] * 3, requests=collection.requests[:3] * 2)
    with pytest.raises(BadInputError, match="same utterances"):
        mean_difference(same, "a", "b")
    # different requests whose h-space is the same: a single-speaker model ignores the speaker
    items = _speaker_items({"x": [0, 1], "y": [2, 3]})
    ignored = collect(single, items, replace_steps(2))
    with pytest.raises(BadInputError, match="same mean h-space"):
        mean_difference(ignored, "x", "y")


def test_too_few_samples_per_group_is_refused(collection) -> None:
    few = replace(collection, labels=["a"] + ["b"] * 5)
    with pytest.raises(BadInputError, match="at least 2"):
        mean_difference(few, "a", "b")
    with pytest.raises(BadInputError, match="'c' has 0"):
        mean_difference(collection, "a", "c")


def test_directions_for_another_model_or_site_are_refused(collection, single, multispeaker, f5) -> None:
    direction = mean_difference(collection, "a", "b")
    with pytest.raises(BadInputError, match="made on model"):
        direction.check_fits(single)
    with pytest.raises(BadInputError, match="does not have"):
        replace(direction, model_id=f5.model, site="denoiser.down.0").check_fits(f5)
    with pytest.raises(BadInputError, match="has size"):
        replace(direction, site="text_encoder.out").check_fits(multispeaker)
    per_step = mean_difference(collection, "a", "b", per_step=True)
    with pytest.raises(BadInputError, match="same --steps"):
        edit_writes(multispeaker, per_step, replace_steps(6), 1.0, None)


@pytest.mark.parametrize(("text", "error"), [("1.5:2", OutOfRangeError), ("-0.1:0.5", OutOfRangeError),
                                             ("0.8:0.2", BadInputError), ("half", BadInputError)])
def test_bad_t_ranges_are_clear_errors(text: str, error: type) -> None:
    with pytest.raises(error, match="t-range"):
        parse_t_range(text)
    assert parse_t_range("0.5:") == (0.5, 1.0) and parse_t_range(None) is None


def test_speaker_embedding_baseline_moves_the_voice(multispeaker, settings) -> None:
    items = _speaker_items({"a": [0, 1], "b": [2, 3]})
    found = mean_difference(collect(multispeaker, items, settings, site="speaker_embedding"), "a", "b")
    table = multispeaker.adapter.network.spk_emb.weight.detach()
    expected = table[:2].mean(0) - table[2:4].mean(0)
    assert torch.allclose(found.vectors[0], expected / expected.norm(), atol=1e-6)
    request = DenoiseRequest("Hi there.", speaker=5)
    with pytest.raises(BadInputError, match="t-range does not apply"):
        edit(multispeaker, request, settings, found, 1.0, (0.0, 0.5))
    assert torch.equal(edit(multispeaker, request, settings, found, 0.0, None).sampled.mel,
                       edit(multispeaker, request, settings, None, 0.0, None).sampled.mel)
    assert not torch.equal(edit(multispeaker, request, settings, found, 1.0, None).sampled.mel,
                           edit(multispeaker, request, settings, None, 0.0, None).sampled.mel)


def test_sweep_writes_cells_and_rows_and_resumes(collection, multispeaker, tmp_path: Path) -> None:
    settings = replace_steps(4)
    hspace = mean_difference(collection, "a", "b")
    baseline = mean_difference(collect(multispeaker, _speaker_items({"a": [0, 1], "b": [3, 4]}), settings,
                                       site="speaker_embedding"), "a", "b")
    requests = [DenoiseRequest("Hi there.", speaker=2)]
    summary = sweep(multispeaker, requests, [hspace, baseline], [-1.0, 1.0], [(0.5, 1.0)], settings, tmp_path)
    rows = [json.loads(line) for line in (tmp_path / "rows.jsonl").read_text().splitlines()]
    assert summary["cells"] == 1 + 2 + 2 and len(rows) == 5 and not summary["skipped"]
    assert {r["method"] for r in rows if "method" in r} == {"hspace", "speaker_embedding"}
    for row in rows:
        assert (tmp_path / row["audio"]).is_file() and (tmp_path / row["reference_audio"]).is_file()
    saved = json.loads((tmp_path / "sweep.json").read_text())["directions"][0]["file"]
    assert torch.equal(Direction.load(tmp_path / saved).vectors, hspace.vectors)
    first = (tmp_path / "cells" / rows[1]["cell_id"] / "result.json").stat().st_mtime_ns
    again = sweep(multispeaker, requests, [hspace, baseline], [-1.0, 1.0], [(0.5, 1.0)], settings, tmp_path)
    assert again["finished"] == 5
    assert (tmp_path / "cells" / rows[1]["cell_id"] / "result.json").stat().st_mtime_ns == first
