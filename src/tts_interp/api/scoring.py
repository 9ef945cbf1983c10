"""`score`: the eval harness (evals/) over Runs: WER/CER against each run's own text, speaker similarity to a
reference, identity shift between a source and a target voice; per run and aggregated with n and 95% CIs."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tts_interp.core.errors import BadInputError

Voice = Any  # a Run, a list of Runs (one voice's clips), or audio file paths


@dataclass
class Scores:
    """One row per scored run (evals/score_config.py ROW_COLUMNS) and the aggregates (`wer_corpus`,
    `similarity_mean`, ...: each {n, value, ci95}); `out` holds the scored audio."""

    rows: list[dict[str, Any]]
    aggregates: dict[str, Any]
    out: Path

    def __getitem__(self, key: str) -> Any:
        return self.aggregates[key]


def score(runs: Sequence[Any], scorers: Sequence[str] = ("asr",), reference: Voice = None, source: Voice = None,
          target: Voice = None, out: str | Path | None = None, device: str = "cpu", seed: int = 0) -> Scores:
    """Score `runs` with the eval harness. `reference`: the voice each run should sound like (speaker
    similarity); `source` and `target`: the two ends of the identity shift (0 at source, 1 at target; give each
    two or more clips for the calibrated shift). Runs are written under `out` (a temporary folder by default)
    exactly as `Run.save` writes them."""
    from tts_interp.evals.aggregate import summarise
    from tts_interp.evals.items import EvalItem
    from tts_interp.evals.score_config import ScoreConfig
    from tts_interp.evals.scoring import Evaluator

    if not runs:
        raise BadInputError("no runs to score")
    folder = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix="tts-interp-score-"))
    sets = {role: _speaker_set(role, voice, folder) for role, voice in
            (("reference", reference), ("source", source), ("target", target)) if voice is not None}
    items = [EvalItem(f"run-{i}", _saved(run, folder / f"run-{i}"), run.text, **sets) for i, run in enumerate(runs)]
    config = ScoreConfig(scorers=tuple(scorers), device=device, seed=seed)
    rows = list(Evaluator(config).score(items))
    return Scores(rows, summarise(rows, {}, seed), folder)


def _saved(run: Any, directory: Path) -> Path:
    run.save(directory, {"command": "ti.score"})
    return directory / "audio.wav"


def _speaker_set(role: str, voice: Voice, folder: Path) -> Any:
    from tts_interp.evals.items import SpeakerSet

    clips = voice if isinstance(voice, list | tuple) else [voice]
    paths = tuple(Path(c) if isinstance(c, str | Path) else _saved(c, folder / f"{role}-{i}")
                  for i, c in enumerate(clips))
    return SpeakerSet(role, paths)
