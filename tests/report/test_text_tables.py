"""Terminal tables fit 100 columns with each value and its CI on one line; the mission's key comparison comes
first and a refused cell says why."""

from __future__ import annotations

import re

from tts_interp.cli.common import attackers_table
from tts_interp.report.kokoro_table import mission_text
from tts_interp.report.text_tables import fixed_table, shorten, value_ci

STAT = r"-?\d\.\d{2,3} \[-?\d\.\d\d, -?\d\.\d\d\]"


def _stat(value: float | None, ci: tuple[float, float] | None = (0.01, 0.25), n: int = 3) -> dict:
    return {"value": value, "ci95": list(ci) if value is not None and ci else None, "n": n}


def _mission_payload() -> dict:
    cells = [{"cell": "plain", "edit": "none", "alpha": 0.0, "n": 3, "identity_shift": _stat(-0.134, (-0.19, -0.1)),
              "similarity_to_source": _stat(0.91), "similarity_to_target": _stat(0.64), "wer": _stat(0.0)},
             {"cell": "site-4", "edit": "decoder.generator.resblocks.5.convs2.2", "alpha": 4.0, "n": 3,
              "identity_shift": _stat(0.577), "similarity_to_source": _stat(0.55),
              "similarity_to_target": _stat(0.59), "wer": _stat(0.0)},
             {"cell": "style-8", "edit": "style", "alpha": 8.0, "n": 0, "identity_shift": _stat(None),
              "similarity_to_source": _stat(None), "similarity_to_target": _stat(None), "wer": _stat(None),
              "refused": 3, "reason": "3 of 3 clips refused: clipped: 6.6% of samples at full scale"}]
    compare = [{"edit": "decoder.generator.resblocks.5.convs2.2", "identity_shift": 0.25, "reached": True,
                "alpha": 1.57, "wer": 0.0, "similarity_to_source": 0.742},
               {"edit": "style", "identity_shift": 0.5, "reached": False}]
    return {"config": {"source_voice": "af_heart", "site": "decoder.generator.resblocks.5.convs2.2"},
            "provenance": {"weights": "int8-dequantized"}, "cells": cells, "equal_shift": compare,
            "units": "alpha x the site's mean row norm along the unit male-minus-female direction"}


def test_mission_text_fits_100_columns_with_the_comparison_first_and_refusals_explained() -> None:
    text = mission_text(_mission_payload())
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 100, max(lines, key=len)
    assert text.index("at equal identity shift") < text.index("cells: mean")
    assert re.search(r"none\s+0\s+3\s+-0\.134 \[-0\.19, -0\.10\]", text)  # value and CI on one line
    assert "style-8: 3 of 3 clips refused: clipped" in text
    assert "not reached" in text


def test_attackers_table_fits_100_columns_and_keeps_each_ci_on_its_line() -> None:
    row = {"condition": "leace@style.timbre+style.prosody alpha=1 fitted on fourteen voices " * 2, "protocol":
           "partial-overlap", "identification": 0.875, "wer": 0.0625, "identification_chance": 0.125}
    rows = [{**row, "verifier": v, "ignorant_eer": 0.054 if v == "dvector" else 0.5,
             "ignorant_eer_ci95": [0.0, 0.09], "lazy_informed_eer": 0.0, "lazy_informed_eer_ci95": [0.0, 0.0],
             "semi_informed_eer": None} for v in ("resemblyzer", "dvector")]
    text = attackers_table({"conditions": rows, "protocol": {"warnings": ["partial-overlap: e0 was fitted on"]}})
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 100, max(lines, key=len)
    assert "[partial-overlap]" in lines[1] and len(re.findall(STAT, lines[3])) == 2
    assert lines[-1].startswith("WARNING partial-overlap")


def test_cells_are_shortened_in_the_middle_and_values_carry_their_ci() -> None:
    assert shorten("decoder.generator.resblocks.5", 12) == "decod…ocks.5" and shorten("short", 12) == "short"
    assert value_ci(0.1034, (0.012, 0.25)) == "0.103 [0.01, 0.25]" and value_ci(None) == "-"
    table = fixed_table((("a", 3), ("b", 4)), [["abcdef", 1]])
    assert table.splitlines() == ["a   b", "a…f 1"]
