"""Tables for an 80-100 column terminal: fixed-width columns, a value and its CI on one line, long names
shortened in the middle (the end of a site name is what tells sites apart)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

WIDTH = 100


def value_ci(value: float | None, ci: Sequence[float] | None = None, digits: int = 3) -> str:
    """'0.103 [0.01, 0.25]': the value to `digits` decimals, its CI to two; '-' for a missing value."""
    if value is None:
        return "-"
    text = f"{value:.{digits}f}"
    return text + (f" [{ci[0]:.2f}, {ci[1]:.2f}]" if ci else "")


def stat_text(stat: Mapping[str, Any] | None, digits: int = 3) -> str:
    """A `{value, ci95}` summary as `value_ci` text."""
    stat = stat or {}
    return value_ci(stat.get("value"), stat.get("ci95"), digits)


def shorten(text: str, width: int) -> str:
    """`text` cut in the middle to at most `width` characters ('decoder.gen…conv_post')."""
    if len(text) <= width:
        return text
    head = (width - 1) // 2
    return text[:head] + "…" + text[len(text) - (width - 1 - head):]


def row_line(columns: Sequence[tuple[str, int]], cells: Sequence[Any]) -> str:
    """One row: each cell padded (or shortened) to its column's width, one space apart."""
    parts = [shorten(str(c), w).ljust(w) for c, (_, w) in zip(cells, columns, strict=True)]
    return " ".join(parts).rstrip()


def fixed_table(columns: Sequence[tuple[str, int]], rows: Sequence[Sequence[Any]], title: str = "") -> str:
    """Rows under a header of the column names, each column `width` characters (longer cells shortened)."""
    lines = [title] if title else []
    lines.append(row_line(columns, [name for name, _ in columns]))
    lines += [row_line(columns, row) for row in rows]
    return "\n".join(lines)
