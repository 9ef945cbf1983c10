"""Every example suite in examples/ loads: fields, recipes and cell kinds are valid (nothing is run)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tts_interp.suites.spec import load_suite

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_suite_loads(path: Path):
    assert load_suite(path).items


def test_open_set_example_keeps_fit_evaluated_and_attacker_voices_apart():
    import yaml

    spec = yaml.safe_load((Path(__file__).resolve().parents[2] / "examples" / "erase_openset_kokoro.yaml").read_text())
    fit = set(spec["erasers"]["fit14"]["voices"])
    evaluated = set(spec["items"][0]["grid"]["speaker"])
    attacker = set(spec["items"][1]["grid"]["speaker"])
    assert spec["items"][1]["role"] == "attacker"
    assert not fit & evaluated and not fit & attacker and not evaluated & attacker
    assert set(spec["erasers"]["closed8"]["voices"]) == evaluated  # the closed-set reference, labelled as such
