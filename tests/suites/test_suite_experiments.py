"""Experiment suites: grid cells with ids from their full config, a direction stage, run + score in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from suite_files import steer_suite  # the folder has no __init__: pytest puts it on sys.path

from tts_interp.core.errors import BadInputError, UnknownNameError
from tts_interp.suites.executors import make_executor
from tts_interp.suites.runner import run_suite, suite_report, suite_status
from tts_interp.suites.spec import load_suite


def _ids(path: Path) -> dict[float, set[str]]:
    by_alpha: dict[float, set[str]] = {}
    for work in load_suite(path).items:
        by_alpha.setdefault(work.spec["config"]["alpha"], set()).add(work.id)
    return by_alpha


def test_cells_get_ids_from_their_full_configuration(tmp_path: Path) -> None:
    base = _ids(steer_suite(tmp_path / "a"))
    assert {a: len(ids) for a, ids in base.items()} == {0.0: 2, 4.0: 2}  # layers x alphas
    assert _ids(steer_suite(tmp_path / "a")) == base  # stable
    wider = _ids(steer_suite(tmp_path / "b", alphas=(0.0, 2.0, 4.0)))
    assert wider[0.0] == base[0.0] and wider[4.0] == base[4.0] and len(wider[2.0]) == 2  # a new axis value adds
    other_recipe = _ids(steer_suite(tmp_path / "c", recipe_text="good morning"))
    assert not set().union(*other_recipe.values()) & set().union(*base.values())  # the direction is in the id

    path = steer_suite(tmp_path / "d")
    data = yaml.safe_load(path.read_text())
    (tmp_path / "d" / "dir.safetensors").write_bytes(b"first bytes")
    data["directions"]["to_cleo"] = {"path": "dir.safetensors"}
    path.write_text(yaml.safe_dump(data))
    from_file = set().union(*_ids(path).values())
    (tmp_path / "d" / "dir.safetensors").write_bytes(b"other bytes")
    assert not from_file & set().union(*_ids(path).values())  # same path, other content: other cells
    data["scoring"]["scorers"] = ["prosody"]
    path.write_text(yaml.safe_dump(data))
    assert not from_file & set().union(*_ids(path).values())  # scoring is part of a cell's config


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["items"][0].update(volume=3), "unknown field 'volume'"),
    (lambda d: d["items"][0].update(alpha=1.0), "both fixed and in 'grid'"),
    (lambda d: d["items"][0]["grid"].pop("layer"), r"needs field\(s\) \['layer'\]"),
    (lambda d: d["items"][0]["grid"].update(alpha=[]), "non-empty list"),
    (lambda d: d["items"][0]["grid"].update(alpha=["loud"]), "field 'alpha' must be a finite number"),
    (lambda d: d["items"][0]["grid"].update(direction=["nowhere"]), "unknown direction .*'nowhere'.*to_cleo"),
    (lambda d: d["items"][0].update(kind="stear"), "unknown item kind .*generate, steer, patch"),
    (lambda d: d["resources"].update(steer={"gpus": 1}), "unknown key.*num_cpus, num_gpus"),
    (lambda d: d["directions"].update(x={"path": "missing.safetensors"}), "missing.safetensors does not exist"),
])
def test_bad_experiment_entries_fail_with_one_clear_line(tmp_path: Path, change, message) -> None:
    path = steer_suite(tmp_path)
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data))
    with pytest.raises((BadInputError, UnknownNameError), match=message):
        load_suite(path)


def test_unknown_executor_or_stray_address_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    path = steer_suite(tmp_path)
    with pytest.raises(UnknownNameError, match="unknown executor 'dask'; valid: local, ray"):
        run_suite(path, tmp_path / "out", executor="dask")
    with pytest.raises(BadInputError, match="--address"):
        make_executor("local", "127.0.0.1:6379")
    assert not (tmp_path / "out").exists()


def test_local_run_steers_scores_and_resumes(local_run, steer_suite_path: Path) -> None:
    out, summary = local_run
    assert summary["n_scored_now"] == 4 and summary["n_failed_now"] == 0 and summary["n_lost_now"] == 0
    assert summary["executor"] == {"executor": "local"}
    stage = json.loads((out / "directions" / "to_cleo" / "stage.json").read_text())
    assert stage["recipe"] == load_suite(steer_suite_path).directions["to_cleo"].digest
    rows = [json.loads(line) for line in (out / "results" / "shard-0-of-1.jsonl").read_text().splitlines()]
    assert len(rows) == 4 and all(r["status"] == "ok" for r in rows)
    alpha = {r["work_id"]: json.loads((out / "cells" / r["work_id"] / "result.json").read_text())["steering"]["alpha"]
             for r in rows}
    for row in rows:
        assert (out / row["audio"]).is_file()
        plain, target = row["scored"]["reference"]["clips"][0], row["scored"]["target"]["clips"][0]
        anchor = row["scored"]["source"]["clips"]  # the identity shift's 0: plain runs at seeds after the cell's
        assert (out / plain).is_file() and (out / target).is_file() and plain != target and plain not in anchor
        if alpha[row["work_id"]] == 0.0:  # alpha 0 is the plain run bit for bit: no move toward the target
            assert row["cell"]["code0_agreement_with_plain"] == 1.0
            assert (out / row["audio"]).read_bytes() == (out / plain).read_bytes()
            assert all((out / row["audio"]).read_bytes() != (out / clip).read_bytes() for clip in anchor)
            assert row["similarity"] == pytest.approx(1.0, abs=1e-6)
        else:  # a strong push changes the codes, and the shift toward the target is measured
            assert row["cell"]["code0_agreement_with_plain"] < 1.0 and row["identity_shift_raw"] is not None
    assert sorted(alpha.values()) == [0.0, 0.0, 4.0, 4.0]
    assert len({r["scored"]["source"]["clips"][0] for r in rows}) == 1  # one shared anchor run under refs/
    assert len(list((out / "refs").iterdir())) == 3  # the plain run, the source anchor's and the target voice's

    again = run_suite(steer_suite_path, out)
    assert again["n_scored_now"] == 0 and again["n_already_done"] == 4
    assert suite_status(out)["n_done"] == 4
    report = suite_report(out)
    assert report["complete"] and report["aggregates"]["identity_shift_raw_mean"]["n"] == 4
    header, *lines = (out / "items.csv").read_text().splitlines()
    assert header.startswith("work_id,kind,alpha,layer,") and len(lines) == 4  # the grid's axes are columns
