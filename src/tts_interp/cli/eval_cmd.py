"""`tts-interp eval`: score a manifest of clips for speaker identity, words and prosody."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tts_interp.cli import options as opt
from tts_interp.cli.common import attackers_line, print_done, progress_bar, say_notes
from tts_interp.core.errors import BadInputError
from tts_interp.evals.scorer_names import ALL_SCORERS, SCORERS


def eval_command(
    manifest: Annotated[Path, typer.Option("--manifest", help="JSONL: id, audio, text, reference, source, target")],
    out: opt.OutOption,
    speaker: Annotated[str, typer.Option("--speaker", help="resemblyzer | dvector | ecapa | wavlm-sv")
                       ] = "resemblyzer",
    speaker_model: Annotated[str | None, typer.Option("--speaker-model",
                                                      help="local dir or hub id (ecapa, wavlm-sv)")] = None,
    asr: Annotated[str, typer.Option("--asr", help="faster-whisper | whisper")] = "faster-whisper",
    asr_model: Annotated[str | None, typer.Option("--asr-model", help="local model dir or hub id")] = None,
    normalizer: Annotated[str, typer.Option("--normalizer", help="whisper | seed-tts")] = "whisper",
    scorers: Annotated[str | None, typer.Option("--scorers", help=f"comma-separated: {','.join(ALL_SCORERS)} "
                                                                "(attackers: rows need `voice`, `text`, a `condition` "
                                                                "and the original clip as `reference`); default: "
                                                                f"{','.join(SCORERS)}, each row getting those its "
                                                                "fields allow")]
    = None,
    verifiers: Annotated[str | None, typer.Option("--verifiers", help="the attackers' speaker verifiers, comma-"
                                                                      "separated (default: --speaker)")] = None,
    batch_size: Annotated[int, typer.Option("--batch-size", help="clips per embedding / ASR batch")] = 16,
    device: opt.DeviceOption = "auto",
    seed: opt.SeedOption = 0,
    calibration: Annotated[Path | None, typer.Option("--calibration", help="manifest whose speaker clips fit the "
                                                                           "verifier's threshold (default: this "
                                                                           "manifest's, scored clips excluded)")]
    = None,
) -> None:
    """Score every clip of a manifest: similarity, identity shift, WER/CER, F0; writes items.csv + result.json."""
    from tts_interp.evals.evaluate import evaluate_manifest
    from tts_interp.evals.items import read_manifest
    from tts_interp.evals.score_config import ScoreConfig

    chosen = tuple(s.strip() for s in (scorers or ",".join(SCORERS)).split(",") if s.strip())
    config = ScoreConfig(scorers=chosen, per_row=scorers is None, speaker=speaker,
                         speaker_model=speaker_model, asr=asr, asr_model=asr_model, normalizer=normalizer,
                         device=device, batch_size=batch_size, seed=seed,
                         verifiers=tuple(v.strip() for v in (verifiers or "").split(",") if v.strip())).validated()
    from tts_interp.data.manifest import manifest_note

    say_notes([manifest_note(manifest)])
    total = len(read_manifest(manifest))
    with progress_bar("scoring", total) as advance:
        payload = evaluate_manifest(manifest, config, out, advance, calibration)
    if payload.get("attackers", {}).get("frontier"):
        from tts_interp.report.erase_plots import plot_frontier

        plot_frontier(out, payload["attackers"])
    agg = _print_summary(out, payload)
    if agg["n_items"] and agg["n_failed"] == agg["n_items"]:
        reason, count = max(payload["failed_reasons"].items(), key=lambda kv: kv[1])
        raise BadInputError(f"every item failed ({agg['n_items']}); most common reason ({count}x): {reason}")


def _show(entry: dict) -> str:
    """`value [lo, hi] (n=N)`, or n/a with its n."""
    from tts_interp.report.text_tables import stat_text

    if entry.get("value") is None:
        return f"n/a (n={entry.get('n', 0)})"
    return f"{stat_text(entry)} (n={entry['n']})"


def _print_summary(out: Path, payload: dict) -> dict:
    """The finished line: items, WER, similarity, identity shift, the verifier's EER, attackers, rows not scored;
    returns the aggregates."""
    agg = payload["aggregates"]
    fitted = payload["verifier_calibration"]
    print_done(out, {"items": f"{agg['n_items']} ({agg['n_failed']} failed)", "WER": _show(agg["wer_corpus"]),
                     "similarity": _show(agg["similarity_mean"]), "identity shift": _show(agg["identity_shift_mean"]),
                     "verifier EER": f"{fitted['eer']:.3f}" if fitted.get("available")
                     else f"n/a ({fitted.get('reason')})",
                     **({"attackers": attackers_line(payload["attackers"])} if "attackers" in payload else {}),
                     **{f"not scored for {scorer}": f"{s['rows']} row(s): {s['reason']}"
                        for scorer, s in payload["not_scored"].items()}})
    return agg
