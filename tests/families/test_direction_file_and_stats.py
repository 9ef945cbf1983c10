"""The one direction format reads both v1 layouts; the one statistics module keeps its contract."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from tts_interp.core.errors import BadInputError
from tts_interp.core.stats import (
    batch_count,
    batch_means_ci,
    benjamini_hochberg,
    bootstrap_ci,
    cluster_bootstrap,
    permutation_p_value,
)
from tts_interp.interventions.directions.direction import Direction, load_direction, save_direction
from tts_interp.interventions.directions.file import FORMAT, read_direction
from tts_interp.interventions.hspace.directions import Direction as StepDirection

SITE = "talker.layer.1.resid_out"


def test_v1_talker_layout_loads(tmp_path: Path) -> None:
    path = tmp_path / "v1.safetensors"
    save_file({f"{SITE}::vector": torch.ones(8)}, str(path), metadata={
        "format": "tts-interp-direction/1", "model": "m", "method": "mean_diff", "sites": json.dumps([SITE]),
        "hidden_size": json.dumps({SITE: 8}), "info": json.dumps({"counts": {"runs_a": 2}})})
    loaded = load_direction(path, "m", [SITE])
    assert torch.equal(loaded.vectors[SITE], torch.ones(8)) and loaded.info["counts"] == {"runs_a": 2}


def test_v1_hspace_layout_loads(tmp_path: Path) -> None:
    path = tmp_path / "v1.safetensors"
    meta = {"format": "tts-interp-direction/1", "model_id": "m", "site": "denoiser.hspace", "kind": "pca",
            "timesteps": [float("nan")], "per_step": False, "mean_norm": 3.0, "info": {"component": 0}}
    save_file({"vectors": torch.ones(1, 4)}, str(path), metadata={"tts_interp": json.dumps(meta, allow_nan=True)})
    loaded = StepDirection.load(path)
    assert loaded.site == "denoiser.hspace" and loaded.mean_norm == 3.0 and loaded.kind == "pca"
    assert torch.equal(loaded.vectors, torch.ones(1, 4)) and math.isnan(loaded.timesteps[0])


def test_v2_records_weights_scale_and_refuses_per_step_for_steering(tmp_path: Path) -> None:
    direction = Direction("m", "mean_diff", {SITE: torch.ones(8)}, weights={"family": "qwen3-tts", "builtin": True},
                          info={"per_site": {SITE: {"mean_row_norm": 2.0}}})
    record = read_direction(save_direction(direction, tmp_path / "d.safetensors"))
    assert record.header()["format"] == FORMAT and record.weights["builtin"] is True and record.scale == {SITE: 2.0}
    step = StepDirection("m", "denoiser.hspace", "mean_difference", torch.ones(3, 4), (0.1, 0.5, 0.9), True, 1.0)
    with pytest.raises(BadInputError, match="per solver step"):
        load_direction(step.save(tmp_path / "s.safetensors"))
    with pytest.raises(BadInputError, match="without one site's mean norm"):
        StepDirection.load(save_direction(Direction("m", "mean_diff", {SITE: torch.ones(8)}), tmp_path / "n.st"))


def test_bootstrap_contract_and_resampling_units() -> None:
    values = np.random.default_rng(0).normal(1.0, 0.5, 400)
    estimate, low, high = bootstrap_ci(values)
    assert low < estimate < high and estimate == pytest.approx(values.mean())
    assert bootstrap_ci([3.0])[1:] == (3.0, 3.0)
    ratio, r_low, r_high = bootstrap_ci([1.0, 0.0, 3.0, 2.0], denominators=[10, 10, 10, 10])
    assert ratio == pytest.approx(6 / 40) and r_low <= ratio <= r_high
    series = np.repeat(np.random.default_rng(1).normal(0, 1, 40), 10)  # strongly autocorrelated
    _, b_low, b_high = batch_means_ci(series, batch_count(series))
    _, i_low, i_high = bootstrap_ci(series)
    assert b_high - b_low > 2 * (i_high - i_low)  # batches keep the dependence, so the interval is honest (wider)
    clusters = np.repeat(np.arange(5), 3)
    sizes = cluster_bootstrap(clusters, lambda rows: len(rows), 20, np.random.default_rng(0))
    assert set(sizes) == {15}


def test_permutation_p_value_and_bh() -> None:
    assert permutation_p_value(5.0, [1.0, 2.0, 6.0]) == pytest.approx(2 / 4)
    assert benjamini_hochberg([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.04, 0.04])


def test_smallest_attainable_p_counts_distinct_relabellings() -> None:
    from tts_interp.core.stats import distinct_relabellings, smallest_p

    assert distinct_relabellings(["a", "b", "c"]) == pytest.approx(6)
    assert smallest_p(200, distinct_relabellings(["a", "b", "c"])) == pytest.approx(1 / 6)  # 3 units: never < 0.05
    assert smallest_p(1000, distinct_relabellings(["f"] * 5 + ["m"] * 5)) == pytest.approx(1 / 252)
    assert smallest_p(99, float("inf")) == pytest.approx(0.01)  # many units: the draws limit it
