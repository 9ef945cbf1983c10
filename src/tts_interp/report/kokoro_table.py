"""The mission's table on the console: one row per cell (n, mean and 95% CI), then the equal-shift comparison."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def _cell(stat: dict[str, Any]) -> str:
    if stat["value"] is None:
        return "n/a"
    ci = stat["ci95"]
    return f"{stat['value']:.3f}" + (f" [{ci[0]:.2f}, {ci[1]:.2f}]" if ci else "")


def print_mission(result: Any, console: Console | None = None) -> None:
    """Print the cells (the `plain` row is the control) and WER / similarity at equal identity shift."""
    console = console or Console()
    provenance = result.payload.get("provenance", {})
    table = Table(title=f"female->male on {result.payload['config']['source_voice']} "
                        f"({provenance.get('weights')} weights); mean [95% CI] over n texts")
    for column in ("cell", "edit", "alpha", "n", "identity shift", "sim. to source", "sim. to target", "WER"):
        table.add_column(column)
    for c in result.cells:
        table.add_row(c["cell"], c["edit"], f"{c['alpha']:g}", str(c["n"]), _cell(c["identity_shift"]),
                      _cell(c["similarity_to_source"]), _cell(c["similarity_to_target"]), _cell(c["wer"]))
    console.print(table)
    compare = Table(title="at equal identity shift (linear in alpha between cells)")
    for column in ("edit", "identity shift", "alpha", "WER", "sim. to source"):
        compare.add_column(column)
    for row in result.comparison:
        if row["reached"]:
            compare.add_row(row["edit"], f"{row['identity_shift']:g}", f"{row['alpha']:.2f}",
                            f"{row['wer']:.3f}", f"{row['similarity_to_source']:.3f}")
        else:
            compare.add_row(row["edit"], f"{row['identity_shift']:g}", "not reached", "", "")
    console.print(compare)
