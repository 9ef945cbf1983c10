"""Rows -> aggregates: every number with n and a bootstrap 95% CI (or why it has none), plus clone acceptance at
the EER threshold with a CI that covers the threshold's uncertainty (evals/calibration.py).

Works from rows alone (plus the calibration), so `suite report` can merge shards and summarise them the
same way `eval` does. A metric counts every row where it was computed, failed rows included (a row fails
as a whole if any one scorer failed, and what the others computed is kept).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tts_interp.evals.calibration import acceptance
from tts_interp.evals.metrics import summary

MEAN_METRICS = ("wer", "cer", "similarity", "identity_shift", "identity_shift_raw", "identity_shift_cosine", "source_target_similarity",
                "target_score", "f0_shift_semitones", "f0_median_hz", "duration_s", "speech_s",
                "speaking_rate_wps")
MAX_LISTED_FAILURES = 50


def _present(rows: Sequence[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    return [r for r in rows if r.get(key) is not None]


def summarise(rows: Sequence[dict[str, Any]], calibration: dict[str, Any], seed: int = 0) -> dict[str, Any]:
    """Aggregates of a run: corpus WER/CER, means of every metric, clone acceptance, failures."""
    failed = [r for r in rows if r.get("status") == "failed"]
    out: dict[str, Any] = {"n_items": len(rows), "n_ok": len(rows) - len(failed), "n_failed": len(failed)}
    words = _present(rows, "word_errors")
    chars = _present(rows, "char_errors")
    out["wer_corpus"] = summary([r["word_errors"] for r in words], [r["ref_words"] for r in words], seed)
    out["cer_corpus"] = summary([r["char_errors"] for r in chars], [r["ref_chars"] for r in chars], seed)
    for key in MEAN_METRICS:
        out[f"{key}_mean"] = summary([r[key] for r in _present(rows, key)], seed=seed)
    scored = _present(rows, "target_score")
    if calibration.get("available") and scored:
        out["clone_acceptance_rate"] = acceptance([r["target_score"] for r in scored], calibration, seed)
    else:
        out["clone_acceptance_rate"] = {"n": len(scored), "value": None, "ci95": None,
                                        "reason": calibration.get("reason", "no identity-edit items")}
    out["failures"] = [{"id": r["id"], "error": r["error"]} for r in failed[:MAX_LISTED_FAILURES]]
    if len(failed) > MAX_LISTED_FAILURES:
        out["failures_not_listed"] = len(failed) - MAX_LISTED_FAILURES
    return out
