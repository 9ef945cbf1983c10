"""The `erase` suite kind and the `attackers` set scorer in a suite, on the tiny CustomVoice model (machinery only).

An eraser fitted by `erase fit` is applied cell by cell over voices x texts x alpha; alpha 0 is the voice's
plain run byte for byte, so under the attackers its condition scores exactly as the original speech; bad cells
are refused when the suite loads, naming the field.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from suite_files import MODEL  # the folder has no __init__: pytest puts it on sys.path

from tts_interp.core.errors import BadInputError, UnknownNameError
from tts_interp.suites.runner import run_suite, suite_report
from tts_interp.suites.spec import load_suite

SITE = "talker.layer.1.resid_out"


@pytest.fixture(scope="module")
def fit_dir(tmp_path_factory, private_cache) -> Path:  # noqa: ANN001
    from tts_interp.interventions.erasure.fit import run_fit, voice_runs
    from tts_interp.interventions.erasure.runs import open_session
    from tts_interp.tracing.selection import Selection

    session = open_session(MODEL, "cpu")
    out = tmp_path_factory.mktemp("fit")
    runs = voice_runs(session, ["aria", "bram", "cleo"], ["one line", "two lines", "three lines"], "speaker")
    run_fit(session, runs, "speaker", [SITE], Selection(), out, max_new_tokens=4)
    return out


def _suite(directory: Path, erasers: dict, scorers: tuple[str, ...] = ("speaker", "attackers"), **changes: object
           ) -> Path:
    entry = {"kind": "erase", "model": MODEL, "eraser": "fit", "site": SITE, "max_new_tokens": 8, "device": "cpu",
             "grid": {"speaker": ["aria", "bram", "cleo"], "text": ["hello there", "a second line"],
                      "alpha": [0, 1]}, **changes}
    suite = {"name": "erase-test", "scoring": {"scorers": list(scorers), "device": "cpu"},
             "erasers": erasers, "items": [entry]}
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "suite.yaml").write_text(yaml.safe_dump(suite))
    return directory / "suite.yaml"


RECIPE = {"model": MODEL, "sites": SITE, "voices": ["aria", "bram", "cleo"], "text": ["one line", "two lines",
                                                                                     "three lines"],
          "max_new_tokens": 4, "device": "cpu"}


def test_erase_cells_and_the_attackers_over_the_grid(fit_dir, tmp_path):  # noqa: ANN001
    out = tmp_path / "out"
    summary = run_suite(_suite(tmp_path, {"fit": {"path": str(fit_dir)}}), out)
    assert summary["n_scored_now"] == 12 and summary["n_failed_now"] == 0
    rows = [json.loads(line) for line in (out / "results" / "shard-0-of-1.jsonl").read_text().splitlines()]
    items = {json.loads(line)["id"]: json.loads(line) for line in (out / "work_items.jsonl").read_text().splitlines()}
    for row in rows:
        alpha = items[row["work_id"]]["spec"]["config"]["alpha"]
        plain = out / row["scored"]["reference"]["clips"][0]
        assert row["cell"]["erasure"]["rank"] == {SITE: 2} and row["similarity"] is not None
        assert ((out / row["audio"]).read_bytes() == plain.read_bytes()) == (alpha == 0)
    report = suite_report(out)
    by = {r["condition"]: r for r in report["attackers"]["conditions"]}
    assert list(by) == ["original", "alpha=0", "alpha=1"] and report["attackers"]["unusable"] == []
    for key in ("ignorant_eer", "lazy_informed_eer", "identification"):
        assert by["alpha=0"][key] == by["original"][key]
    assert by["alpha=1"]["ignorant_eer_n_target"] == 3 and by["alpha=1"]["ignorant_eer_n_nontarget"] == 6
    assert [p["alpha"] for p in report["attackers"]["frontier"]["all"]["all"]] == [0.0, 1.0]
    assert (out / "attackers.csv").is_file()


def test_a_recipe_is_fitted_once_by_the_suite_and_its_held_out_probe_reported(tmp_path, private_cache):  # noqa: ANN001
    out = tmp_path / "out"
    path = _suite(tmp_path, {"fit": RECIPE}, ("speaker", "asr", "attackers"),
                  grid={"speaker": ["aria", "bram"], "text": ["hello there", "again"]}, alpha=1)
    assert run_suite(path, out)["n_failed_now"] == 0
    built = out / "erasers" / "fit"
    assert (built / "leace.safetensors").is_file() and (built / "stage.json").is_file()
    report = suite_report(out)
    probes = {(p["site"], p["eraser"]): p for p in report["erasers"]["fit"]["held_out_probe"]}
    by = {r["condition"]: r for r in report["attackers"]["conditions"]}
    assert by["original"]["wer_n"] == 4 and by["kind=erase"]["wer_n"] == 4  # the plain runs are transcribed too
    assert probes[(SITE, "leace")]["accuracy"] <= probes[(SITE, "leace")]["chance"] + 0.05
    stamp = (built / "stage.json").stat().st_mtime_ns
    assert run_suite(path, out)["n_scored_now"] == 0 and (built / "stage.json").stat().st_mtime_ns == stamp


def test_bad_erase_cells_are_refused_when_the_suite_loads(fit_dir, tmp_path):  # noqa: ANN001
    given = {"fit": {"path": str(fit_dir)}}
    with pytest.raises(BadInputError, match=r"alpha.*\[0, 1\]"):
        load_suite(_suite(tmp_path / "a", given, grid={"alpha": [1.5]}, speaker="aria", text="hi"))
    with pytest.raises(BadInputError, match="no site"):
        load_suite(_suite(tmp_path / "b", given, site="talker.layer.0.resid_out"))
    with pytest.raises(UnknownNameError, match="eraser .*'nope'.*fit"):
        load_suite(_suite(tmp_path / "c", given, eraser="nope"))
    with pytest.raises(BadInputError, match="method"):
        load_suite(_suite(tmp_path / "d", given, method="pca"))
    with pytest.raises(BadInputError, match="not at talker.layer.0.resid_out"):
        load_suite(_suite(tmp_path / "e", {"fit": RECIPE}, site="talker.layer.0.resid_out"))
    with pytest.raises(BadInputError, match="is a leace eraser, but the cell asks for method 'random'"):
        load_suite(_suite(tmp_path / "h", {"fit": {"path": str(fit_dir / "leace.safetensors")}}, method="random"))
    with pytest.raises(BadInputError, match="holds no eraser file"):
        load_suite(_suite(tmp_path / "f", {"fit": {"path": str(tmp_path)}}))
    with pytest.raises(BadInputError, match="voices"):
        load_suite(_suite(tmp_path / "g", {"fit": {**RECIPE, "voices": ["aria"]}}))
