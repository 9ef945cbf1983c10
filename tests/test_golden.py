"""Every command on the tiny built-ins gives the outputs recorded before the family-shape restructuring.

scripts/make_golden.py made tests/fixtures/golden/golden.npz: codes (compared exactly), activations, directions,
mels, audio checksums and every number of each result.json. Floats get a tolerance for what another CPU's kernels
change (make_golden.tolerance: PCM16 rounding of audio, 1e-3 of an array's RMS, PCA signs); on the machine that
made them `scripts/make_golden.py --check` compares bit for bit.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "make_golden.py"


def _golden_module():
    spec = importlib.util.spec_from_file_location("make_golden", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_command_reproduces_its_golden_outputs(tmp_path: Path) -> None:
    golden_module = _golden_module()
    arrays = golden_module.run_all(tmp_path)
    with np.load(golden_module.GOLDEN) as data:
        golden = dict(data)
    assert len(golden) > 150
    assert golden_module.differences(arrays, golden) == []


def test_every_single_number_change_of_five_percent_is_caught() -> None:
    """Mutation check of the comparison itself: each number of every result.json, moved by 5% of itself (at least
    0.01), alone, must be reported. A tolerance on the scale of the whole array (0.6 beside counts in the
    thousands) let 370 of 2,828 such changes through."""
    golden_module = _golden_module()
    with np.load(golden_module.GOLDEN) as data:
        golden = {k: v for k, v in data.items() if k.endswith("::values")}
        data_keys = {k: v for k, v in data.items() if k.endswith("::keys")}
    missed, total = [], 0
    for key, want in golden.items():
        for i, value in enumerate(want):
            if np.isnan(value):
                continue
            got = want.copy()
            got[i] = value + max(0.05 * abs(value), 0.01)
            total += 1
            names = data_keys.get(key.removesuffix("::values") + "::keys")
            pair = {key: want} | ({} if names is None else {key.removesuffix("::values") + "::keys": names})
            if not golden_module.differences({**pair, key: got}, pair):
                missed.append(f"{key}[{i}]")
    assert total > 2000 and missed == [], f"{len(missed)} of {total} changes missed, e.g. {missed[:3]}"
