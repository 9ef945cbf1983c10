"""Parsing comma-separated index lists with half-open ranges (`0,2,5`, `0:4`, a mix): layers, codebooks.

Ranges are checked against the largest index allowed *before* they are expanded, so `0:99999999999` is one
clear error instead of an attempt to build a list of 10^11 numbers.
"""

from __future__ import annotations

from tts_interp.core.errors import BadInputError, OutOfRangeError


def parse_index_list(text: str, what: str, low: int, high: int, example: str, valid: str | None = None
                     ) -> list[int]:
    """The indices `text` names, in order (ranges half-open); each in low..high, else OutOfRangeError naming
    `valid` (default `low..high`)."""
    valid = valid or f"{low}..{high}"
    values: list[int] = []
    try:
        for part in str(text).split(","):
            if ":" in part:
                first, last = (int(v) for v in part.split(":", 1))
                for bound in (first, last - 1):
                    if last > first and not low <= bound <= high:
                        raise OutOfRangeError(what, bound, valid)
                values += list(range(first, last))
            elif part.strip():
                values.append(int(part))
    except ValueError:
        raise BadInputError(f"{what}s {text!r} is not a list; use e.g. {example}") from None
    for value in values:
        if not low <= value <= high:
            raise OutOfRangeError(what, value, valid)
    return values
