"""Erasers as affine edits: LEACE is concept-erasure's own, it removes every linear trace of the label on the
rows it was fitted on, the baselines are what they claim, files round-trip and refuse the wrong model."""

from __future__ import annotations

import pytest
import torch
from concept_erasure import LeaceFitter

from tts_interp.core.errors import BadInputError
from tts_interp.interventions.erasure.eraser import (
    Eraser,
    fit_erasers,
    fit_leace,
    fit_mean_diff,
    load_eraser,
    save_eraser,
)
from tts_interp.tracing.ops import Write


def labelled_rows(n: int = 300, dim: int = 24, classes: int = 3, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    labels = torch.randint(0, classes, (n,), generator=generator)
    centres = 3 * torch.randn(classes, dim, generator=generator)
    mixing = torch.randn(dim, dim, generator=generator) / dim**0.5  # correlated features: LEACE != orthogonal
    return (torch.randn(n, dim, generator=generator) @ mixing + centres[labels]).float(), labels


def test_leace_matches_concept_erasure_and_zeroes_the_class_covariance():
    x, y = labelled_rows()
    mine = fit_leace(x, y, 3)
    theirs = LeaceFitter.fit(x.double(), torch.nn.functional.one_hot(y).double()).eraser
    erased = mine.apply(x)
    assert torch.allclose(erased.double(), theirs(x.double()), atol=1e-4)
    assert mine.rank == 2  # k - 1 for k classes
    one_hot = torch.nn.functional.one_hot(y).double()
    cross = (erased.double() - erased.double().mean(0)).T @ (one_hot - one_hot.mean(0))
    before = (x.double() - x.double().mean(0)).T @ (one_hot - one_hot.mean(0))
    assert float(cross.abs().max()) < 1e-6 * float(before.abs().max()) + 1e-3


def test_alpha_interpolates_from_no_edit_to_the_full_eraser():
    x, y = labelled_rows()
    eraser = fit_leace(x, y, 3)
    assert torch.equal(eraser.apply(x, 0.0), x)
    half = eraser.apply(x, 0.5)
    assert torch.allclose(half, (x + eraser.apply(x, 1.0)) / 2, atol=1e-5)


def test_mean_difference_of_two_classes_is_todays_projection_about_the_pooled_mean():
    x, y = labelled_rows(classes=2)
    eraser = fit_mean_diff(x, y, 2)
    assert eraser.rank == 1
    direction = x[y == 1].mean(0) - x[y == 0].mean(0)
    unit = direction / direction.norm()
    assert abs(float(eraser.right[0] @ unit)) == pytest.approx(1.0, abs=1e-5)
    centred = x - eraser.centre
    expected = Write("s", "project_out", direction).apply(centred, 0) + eraser.centre
    assert torch.allclose(eraser.apply(x), expected, atol=1e-4)


def test_random_control_has_the_rank_of_leace_and_is_an_orthogonal_projection():
    x, y = labelled_rows()
    erasers = fit_erasers({"site": (x, y)}, ["a", "b", "c"], "m", "speaker", seed=3)
    control = erasers["random"].sites["site"]
    assert control.rank == erasers["leace"].sites["site"].rank
    projection = control.left @ control.right
    assert torch.allclose(projection @ projection, projection, atol=1e-5)
    assert torch.allclose(projection, projection.T, atol=1e-6)
    again = fit_erasers({"site": (x, y)}, ["a", "b", "c"], "m", "speaker", seed=3)["random"].sites["site"]
    assert torch.equal(again.right, control.right)


def test_files_round_trip_and_refuse_another_model_or_site(tmp_path):
    x, y = labelled_rows()
    eraser: Eraser = fit_erasers({"talker.layer.1.resid_out": (x, y)}, ["a", "b", "c"], "model-a", "speaker",
                                 info={"counts": {"rows": 300}})["leace"]
    path = save_eraser(eraser, tmp_path / "leace.safetensors")
    loaded = load_eraser(path, "model-a", ["talker.layer.1.resid_out"])
    assert loaded.classes == ["a", "b", "c"] and loaded.info["counts"] == {"rows": 300}
    assert torch.equal(loaded.sites["talker.layer.1.resid_out"].apply(x), eraser.sites["talker.layer.1.resid_out"].apply(x))
    with pytest.raises(BadInputError, match="model-a"):
        load_eraser(path, "model-b")
    with pytest.raises(BadInputError, match="no site"):
        load_eraser(path, "model-a", ["talker.layer.2.resid_out"])
    with pytest.raises(BadInputError, match=r"\[0, 1\]"):
        loaded.writes(["talker.layer.1.resid_out"], 1.5)


def test_one_class_or_a_bad_affine_write_is_refused():
    x, _ = labelled_rows()
    with pytest.raises(BadInputError, match="two classes"):
        fit_leace(x, torch.zeros(len(x), dtype=torch.long), 2)
    with pytest.raises(BadInputError, match="do not fit"):
        Write("s", "affine", torch.zeros(4), left=torch.zeros(5, 1), right=torch.zeros(1, 4))


def test_pca_eraser_removes_the_top_class_mean_directions_and_mean_replaces_every_row():
    from tts_interp.interventions.erasure.eraser import check_method, fit_mean, fit_pca

    gen = torch.Generator().manual_seed(0)
    means = torch.zeros(6, 12)
    means[:, 0] = torch.tensor([-5.0, -3, -1, 1, 3, 5])  # the voices differ most along axis 0, then axis 1
    means[:, 1] = torch.tensor([1.0, -1, 1, -1, 1, -1])
    labels = torch.arange(6).repeat_interleave(20)
    x = means[labels] + 0.01 * torch.randn(120, 12, generator=gen)
    one = fit_pca(x, labels, 6, 1)
    assert one.rank == 1 and abs(float(one.right[0, 0])) > 0.99
    two = fit_pca(x, labels, 6, 2)
    erased = two.apply(x)
    assert erased[:, :2].std(0).max() < 0.05 and torch.allclose(erased[:, 2:], x[:, 2:], atol=0.01)
    assert fit_pca(x, labels, 6, 50).rank == 5  # at most classes - 1 directions of voice variation
    mean = fit_mean(x)
    assert torch.allclose(mean.apply(x), x.mean(0).expand_as(x), atol=1e-5)
    assert torch.equal(mean.apply(x, alpha=0.0), x)
    assert check_method("pca16") == "pca16" and check_method("random8") == "random8"
    for bad in ("pca", "pca0", "svd4"):
        with pytest.raises(Exception, match="eraser method"):
            check_method(bad)


def test_fit_erasers_with_pca_ranks_writes_pca_random_controls_and_mean():
    from tts_interp.interventions.erasure.eraser import fit_erasers

    labels = torch.arange(5).repeat_interleave(4)
    x = torch.randn(5, 8)[labels] + 0.1 * torch.randn(20, 8)
    fitted = fit_erasers({"s": (x, labels)}, [str(c) for c in range(5)], "m", "speaker", pca_ranks=(2, 3))
    assert set(fitted) == {"leace", "mean_diff", "random", "pca2", "pca3", "random2", "random3", "mean"}
    assert fitted["pca3"].sites["s"].rank == 3 == fitted["random3"].sites["s"].rank
    assert set(fit_erasers({"s": (x, labels)}, [str(c) for c in range(5)], "m", "speaker")) == {
        "leace", "mean_diff", "random"}
