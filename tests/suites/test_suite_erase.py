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

from tts_interp.core.errors import BadInputError
from tts_interp.suites.runner import run_suite, suite_report
from tts_interp.suites.spec import load_suite

SITE = "talker.layer.1.resid_out"


@pytest.fixture(scope="module")
def fit_dir(tmp_path_factory, private_cache) -> Path:  # noqa: ANN001
    from tts_interp.interventions.erase_fit import run_fit, voice_runs
    from tts_interp.interventions.erase_runs import open_session
    from tts_interp.tracing.selection import Selection

    session = open_session(MODEL, "cpu")
    out = tmp_path_factory.mktemp("fit")
    runs = voice_runs(session, ["aria", "bram", "cleo"], ["one line", "two lines", "three lines"], "speaker")
    run_fit(session, runs, "speaker", [SITE], Selection(), out, max_new_tokens=4)
    return out


def _suite(directory: Path, fit: Path, **changes: object) -> Path:
    entry = {"kind": "erase", "model": MODEL, "eraser": str(fit), "site": SITE, "max_new_tokens": 8, "device": "cpu",
             "grid": {"speaker": ["aria", "bram", "cleo"], "text": ["hello there", "a second line"],
                      "alpha": [0, 1]}, **changes}
    suite = {"name": "erase-test", "scoring": {"scorers": ["speaker", "asr", "attackers"], "device": "cpu"},
             "items": [entry]}
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "suite.yaml").write_text(yaml.safe_dump(suite))
    return directory / "suite.yaml"


def test_erase_cells_and_the_attackers_over_the_grid(fit_dir, tmp_path):  # noqa: ANN001
    out = tmp_path / "out"
    summary = run_suite(_suite(tmp_path, fit_dir), out)
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
    assert by["original"]["wer_n"] == 6 and by["alpha=0"]["wer"] == by["original"]["wer"]  # plain runs transcribed
    assert (out / "attackers.csv").is_file()


def test_bad_erase_cells_are_refused_when_the_suite_loads(fit_dir, tmp_path):  # noqa: ANN001
    with pytest.raises(BadInputError, match=r"alpha.*\[0, 1\]"):
        load_suite(_suite(tmp_path / "a", fit_dir, grid={"alpha": [1.5]}, speaker="aria", text="hi"))
    with pytest.raises(BadInputError, match="no site"):
        load_suite(_suite(tmp_path / "b", fit_dir, site="talker.layer.0.resid_out"))
    with pytest.raises(BadInputError, match="does not exist"):
        load_suite(_suite(tmp_path / "c", tmp_path / "nowhere"))
    with pytest.raises(BadInputError, match="method"):
        load_suite(_suite(tmp_path / "d", fit_dir, method="pca"))
