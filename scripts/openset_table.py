"""The open-set privacy-utility table of scripts/erase_openset.sh, as Markdown: one row per sweep x condition x
verifier (the original speech first), with the held-out protocol, the three attackers' EER [95% CI],
identification, WER, F0-contour correlation and speaking-rate change, read from each sweep's privacy/result.json.
Usage: openset_table.py OUT_DIR [SWEEP ...]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

SWEEPS = ("sweep-closed8", "sweep-fit14", "sweep-fit14-mixes", "sweep-fit14-decoder", "sweep-gender")


def stat(row: dict, key: str) -> str:
    value, ci = row.get(key), row.get(f"{key}_ci95")
    if value is None:
        return "-"
    return f"{value:.3f} [{ci[0]:.2f}, {ci[1]:.2f}]" if ci else f"{value:.3f}"


def rank(sweep: dict, method: str | None, site: str | None) -> str:
    """The eraser's rank at each site the condition erased (`a+b`: one rank per site)."""
    ranks = ((sweep.get("erasers") or {}).get(method) or {}).get("rank") or {}
    return "+".join(str(ranks.get(s, "?")) for s in (site or "").split("+") if s) or "-"


def main() -> None:
    out = Path(sys.argv[1])
    sweeps = sys.argv[2:] or SWEEPS
    print("| sweep | condition | rank | protocol | verifier | ignorant EER | lazy-informed EER | semi-informed EER | "
          "identification | WER | F0 corr. | rate change |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name in sweeps:
        path = out / name / "privacy" / "result.json"
        if not path.is_file():
            continue
        scored = json.loads(path.read_text())
        sweep = json.loads((out / name / "result.json").read_text())
        for row in scored["conditions"]:
            label = row.get("method") or "original"
            print(f"| {name.removeprefix('sweep-')} | {label} {row.get('site') or ''} | {rank(sweep, row.get('method'), row.get('site'))} "
                  f"| {row.get('protocol')} | {row.get('verifier')} | {stat(row, 'ignorant_eer')} | "
                  f"{stat(row, 'lazy_informed_eer')} | {stat(row, 'semi_informed_eer')} | {stat(row, 'identification')} "
                  f"| {stat(row, 'wer')} | {stat(row, 'f0_correlation')} | {stat(row, 'rate_change')} |")


if __name__ == "__main__":
    main()
