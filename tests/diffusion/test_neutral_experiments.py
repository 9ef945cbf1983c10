"""A denoiser family goes through the same direction, steering and patching code as Qwen3-TTS (the `run` hook).

The invariants are the talker's: strength 0 and an empty (or self-) patch are bit-identical to the plain run;
`add` moves the selected rows by alpha x the calibrated mean norm; `project_out` 1 leaves no component there.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from tts_interp.core.errors import BadInputError, OutOfRangeError
from tts_interp.interventions.directions.direction import Direction
from tts_interp.interventions.directions.experiment import DIRECTION_FILE, run_direction
from tts_interp.interventions.generation import RunConfig
from tts_interp.interventions.patching.runs import ALL_SITES, patch_between
from tts_interp.interventions.reading import collect_rows, prepare_runs
from tts_interp.interventions.steering.sweep import plan_steer_sweep, run_steer_sweep
from tts_interp.interventions.steering.writes import calibrate, site_writes
from tts_interp.models.base import CAPABILITIES
from tts_interp.models.denoising.settings import DenoiseRequest
from tts_interp.models.registry import FAMILIES, adapter_class
from tts_interp.tracing.engine import Read
from tts_interp.tracing.selection import Selection

HSPACE = "denoiser.hspace"
RUN_MEMBERS = ("prepare", "check_request", "run", "layer_kinds", "layer_site", "n_layers", "deterministic_settings",
               "aligned_settings", "write_run")


def _speakers(*speakers: int) -> list[DenoiseRequest]:
    return [DenoiseRequest("Hi there.", speaker=s) for s in speakers]


def test_every_family_declaring_run_has_the_hook_and_names_its_layers(multispeaker, f5) -> None:
    assert "run" in CAPABILITIES
    for name in FAMILIES:
        cls = adapter_class(name)
        if "run" in cls.capabilities:
            assert all(hasattr(cls, member) for member in RUN_MEMBERS), name
    grad = multispeaker.adapter
    names = grad.layer_sites()  # the U-Net in execution order: down levels, bottleneck, up levels
    middle = names.index(HSPACE)
    assert names[:middle] == [f"denoiser.down.{i}" for i in range(middle)]
    assert names[middle + 1:] == [f"denoiser.up.{i}" for i in range(len(names) - middle - 1)]
    assert grad.layer_site(middle, "out") == HSPACE and grad.n_layers == len(names)
    blocks = f5.adapter.layer_sites()  # F5's h-space is an alias of its middle block: named once
    assert HSPACE not in blocks and blocks == [f"denoiser.block.{k}.out" for k in range(len(blocks))]
    with pytest.raises(OutOfRangeError):
        grad.layer_site(len(names))


@pytest.mark.parametrize("method", ["mean_diff", "pca"])
def test_direction_experiment_reads_denoiser_runs(multispeaker, settings, tmp_path, method) -> None:
    found, payload = run_direction(multispeaker, _speakers(0, 1), _speakers(2, 3), [HSPACE], Selection(), method,
                                   tmp_path, settings=settings)
    assert found.sites == [HSPACE] and found.unit(HSPACE).shape == (multispeaker.site_dim(HSPACE),)
    assert payload["counts"]["runs_a"] == 2 and payload["counts"]["rows_a"] > 0
    assert "plain runs with settings" in payload["rows_from"] and (tmp_path / DIRECTION_FILE).is_file()
    with pytest.raises(BadInputError, match="same prompts"):
        run_direction(multispeaker, _speakers(0), _speakers(0), [HSPACE], Selection(), "mean_diff", tmp_path,
                      settings=settings)


def test_pooled_directions_take_each_run_as_one_sample(multispeaker, settings, tmp_path) -> None:
    a, b = _speakers(0, 1), _speakers(2, 3)
    found, payload = run_direction(multispeaker, a, b, [HSPACE], Selection(), "mean_diff", tmp_path, settings=settings,
                                   pool_runs=True)
    rows = {name: collect_rows(multispeaker, prepare_runs(multispeaker, group, Selection()), [HSPACE], Selection(),
                               settings=settings)[HSPACE] for name, group in (("a", a), ("b", b))}
    means = {name: torch.stack([run.mean(0) for run in runs]).mean(0) for name, runs in rows.items()}
    assert payload["counts"]["rows_a"] == 2 and "one row per run" in payload["rows_from"]
    assert torch.allclose(found.vectors[HSPACE], means["a"] - means["b"], atol=1e-5)


def test_steering_writes_on_a_t_range_add_by_the_mean_norm_and_project_out_fully(multispeaker, settings) -> None:
    adapter = multispeaker.adapter
    prompt = adapter.prepare(DenoiseRequest("Hi there.", speaker=4))
    unit = torch.nn.functional.normalize(torch.randn(multispeaker.site_dim(HSPACE), generator=torch.Generator()
                                                     .manual_seed(1)), dim=0)
    direction = Direction(multispeaker.model, "mean_diff", {HSPACE: unit})
    calibration = calibrate(multispeaker, prompt, settings, [HSPACE])
    plain = calibration.run
    late = Selection(t_range=(0.0, 0.5))
    for op in ("add", "project_out"):
        zero = adapter.run(multispeaker.engine, prompt, settings,
                           writes=site_writes(direction, [HSPACE], 0.0, op, late, calibration))
        assert zero.writes and torch.equal(zero.sampled.mel, plain.sampled.mel)  # strength 0 = the plain run
    read = [Read(HSPACE, late)]
    rows = adapter.run(multispeaker.engine, prompt, settings, reads=read).store.get(HSPACE)
    base, steps = rows.values, torch.tensor([r.step for r in rows.rows])
    added = adapter.run(multispeaker.engine, prompt, settings, reads=read,
                        writes=site_writes(direction, [HSPACE], 1.0, "add", late, calibration))
    shift = (added.store.get(HSPACE).values - base) @ unit
    first = steps == steps.min()  # the first edited step's rows: no earlier edit changed their input
    assert 0 < int(first.sum()) < len(steps)
    assert torch.allclose(shift[first], torch.full_like(shift[first], calibration.mean_norm[HSPACE]), rtol=1e-4)
    raw = adapter.run(multispeaker.engine, prompt, settings, reads=read,  # raw: alpha x the direction's own vector
                      writes=site_writes(direction, [HSPACE], 2.0, "add", late, None, raw=True))
    raw_shift = (raw.store.get(HSPACE).values - base) @ unit
    assert torch.allclose(raw_shift[first], torch.full_like(raw_shift[first], 2.0), rtol=1e-4)
    removed = adapter.run(multispeaker.engine, prompt, settings, reads=read,
                          writes=site_writes(direction, [HSPACE], 1.0, "project_out", late, calibration))
    assert float((removed.store.get(HSPACE).values @ unit).abs().max()) < 1e-4
    assert not torch.equal(removed.sampled.mel, plain.sampled.mel)


def test_steer_sweep_runs_a_denoiser_layer_with_alpha_zero_equal_to_plain(multispeaker, settings, tmp_path) -> None:
    run_direction(multispeaker, _speakers(0, 1), _speakers(2, 3), [HSPACE], Selection(), "mean_diff",
                  tmp_path / "direction", settings=settings)
    config = RunConfig(multispeaker.model, DenoiseRequest("Hi there.", speaker=4), settings, "cpu")
    layer = multispeaker.adapter.layer_sites().index(HSPACE)
    plan = plan_steer_sweep(multispeaker, config, tmp_path / "direction" / DIRECTION_FILE, [layer], ["0", "3"],
                            selection=Selection(t_range=(0.0, 1.0)))
    out = tmp_path / "sweep"
    sweep = run_steer_sweep(multispeaker, plan, out)
    plain_mel = np.load(out / "plain" / "mel.npy")
    assert np.array_equal(np.load(out / "cells" / f"alpha+0_L{layer}" / "mel.npy"), plain_mel)
    assert not np.array_equal(np.load(out / "cells" / f"alpha+3_L{layer}" / "mel.npy"), plain_mel)
    result = json.loads((out / "result.json").read_text())
    unit = result["calibration"]["sites"][HSPACE]["mean_norm"]
    cell = json.loads((out / "cells" / f"alpha+3_L{layer}" / "result.json").read_text())
    assert cell["writes"][0]["site"] == HSPACE and cell["writes"][0]["alpha"] == pytest.approx(3 * unit)
    assert cell["config"]["prompt"]["speaker"] == 4 and result["status"] == "complete"
    assert [r["code0_agreement_with_plain"] for r in sweep.rows] == [None, None]  # a denoiser has no codes


def test_patching_a_run_with_itself_is_the_plain_run_and_another_voice_moves_it(multispeaker, settings) -> None:
    adapter = multispeaker.adapter
    four, zero = (adapter.prepare(r) for r in _speakers(4, 0))
    sites = ["denoiser.down.0", HSPACE]
    same = patch_between(multispeaker, four, four, settings, sites)
    assert adapter.run(multispeaker.engine, four, settings, writes=[]).sampled.mel.equal(same.target.sampled.mel)
    for cell in (*sites, ALL_SITES):  # a self-patch replaces every row by itself
        assert torch.equal(same.cells[cell].sampled.mel, same.target.sampled.mel), cell
    other = patch_between(multispeaker, zero, four, settings, [HSPACE])
    assert not torch.equal(other.cells[HSPACE].sampled.mel, other.target.sampled.mel)
    longer = adapter.prepare(DenoiseRequest("Hi there, how are you today?", speaker=0))
    with pytest.raises(BadInputError, match="same length"):
        patch_between(multispeaker, longer, four, settings, [HSPACE])


def test_f5_steers_a_dit_block_through_the_same_code(f5, ref_clip, settings) -> None:
    adapter = f5.adapter
    prompt = adapter.prepare(DenoiseRequest("Hi.", ref_audio=str(ref_clip), ref_text="A clip."))
    site = adapter.layer_site(1)
    direction = Direction(f5.model, "mean_diff", {site: torch.ones(f5.site_dim(site))})
    calibration = calibrate(f5, prompt, settings, [site])
    zero = adapter.run(f5.engine, prompt, settings, writes=site_writes(direction, [site], 0.0, "add", Selection(),
                                                                       calibration))
    assert torch.equal(zero.sampled.mel, calibration.run.sampled.mel)
    moved = adapter.run(f5.engine, prompt, settings, writes=site_writes(direction, [site], 2.0, "add", Selection(),
                                                                        calibration))
    assert not torch.equal(moved.sampled.mel, calibration.run.sampled.mel)
