"""Held-out discipline: how much of what a fitted thing is scored on it was fitted on.

A fitted thing (an eraser, a direction, a probe) records its fit set: the voices and texts it saw. Whoever scores
it on data compares the evaluated voices and texts with that set and says which protocol the score is under:
- `open-set`: no evaluated voice was in the fit set (the claim a user usually wants: it works on voices it never
  saw);
- `closed-set`: every evaluated voice was fitted on (the score says little beyond those voices);
- `partial-overlap`: some were.
Voices decide the protocol; texts are compared the same way and reported beside it. A fit set that was not
recorded gives `unknown`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

PROTOCOLS = ("open-set", "closed-set", "partial-overlap", "unknown")


@dataclass(frozen=True)
class FitSet:
    """The voices and texts a fitted thing was fitted on (sorted, unique)."""

    voices: tuple[str, ...]
    texts: tuple[str, ...] = ()

    @classmethod
    def of(cls, voices: Iterable[str], texts: Iterable[str] = ()) -> FitSet:
        return cls(tuple(sorted(set(voices))), tuple(sorted(set(texts))))

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> FitSet | None:
        if not data or "voices" not in data:
            return None
        return cls.of(data["voices"], data.get("texts") or ())

    def to_json(self) -> dict[str, list[str]]:
        return {"voices": list(self.voices), "texts": list(self.texts)}


def overlap(fitted: Sequence[str], evaluated: Iterable[str]) -> dict[str, Any]:
    """Which protocol `evaluated` names are under, given the `fitted` names, with the overlapping names."""
    evaluated = sorted(set(evaluated))
    shared = sorted(set(fitted) & set(evaluated))
    if not evaluated:
        kind = "unknown"
    elif not shared:
        kind = "open-set"
    elif len(shared) == len(evaluated):
        kind = "closed-set"
    else:
        kind = "partial-overlap"
    return {"protocol": kind, "n_fit": len(set(fitted)), "n_evaluated": len(evaluated), "overlap": shared}


def protocol_of(fit: FitSet | None, voices: Iterable[str], texts: Iterable[str] = ()) -> dict[str, Any]:
    """The protocol of scoring on `voices` x `texts` a thing fitted on `fit` (None: not recorded)."""
    voices, texts = sorted(set(voices)), sorted(set(texts))
    if fit is None:
        return {"protocol": "unknown", "reason": "the fitted thing did not record its fit set", "voices": None,
                "texts": None, "overlapping_voices": []}
    by_voice, by_text = overlap(fit.voices, voices), overlap(fit.texts, texts)
    return {"protocol": by_voice["protocol"], "overlapping_voices": by_voice["overlap"],
            "text_protocol": by_text["protocol"] if fit.texts else "unknown",
            "overlapping_texts": by_text["overlap"], "voices": by_voice, "texts": by_text}


def warning_of(result: Mapping[str, Any], what: str = "this result") -> str | None:
    """One line warning that `result` (a protocol_of dict) is not open-set, or None."""
    kind = result.get("protocol")
    if kind == "closed-set":
        return (f"closed-set: {what} is scored on the voices it was fitted on "
                f"({', '.join(result.get('overlapping_voices') or [])}); it says nothing about unseen voices")
    if kind == "partial-overlap":
        shared = result.get("overlapping_voices") or []
        return f"partial overlap: {len(shared)} scored voice(s) were fitted on ({', '.join(shared)})"
    if kind == "unknown":
        return f"protocol unknown: {what} did not record the voices it was fitted on"
    return None
