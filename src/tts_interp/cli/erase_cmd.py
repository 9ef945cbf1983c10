"""`tts-interp erase fit|apply|score`: fit LEACE (and its baselines) at a site, generate erased, attack the result."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from tts_interp.cli import options as opt
from tts_interp.cli.common import attackers_line, print_done, progress_bar, say_stale, status
from tts_interp.cli.talker_common import parse_names, selection_of
from tts_interp.core.errors import BadInputError

app = typer.Typer(no_args_is_help=True, help="Erase a label (speaker, gender, ...) from a site's activations: "
                                              "fit LEACE and baselines, generate erased, score attackers.")

VoicesOption = Annotated[str | None, typer.Option("--voices", help="named voices, comma-separated (each speaks "
                                                                   "every --text)")]
ManifestOption = Annotated[Path | None, typer.Option("--manifest", help="JSONL of labelled prompts or reference "
                                                                        "clips: text, speaker|ref_audio|instruct, "
                                                                        "and the label's field")]
LabelOption = Annotated[str, typer.Option("--label", help="speaker | gender | any manifest field")]


def _runs(session: Any, voices: str | None, texts: list[str] | None, manifest: Path | None, label: str,
          instruct: str | None, language: str) -> list[Any]:
    """The labelled runs: a manifest's rows, or every voice x every text (labels from the model's voices)."""
    from tts_interp.interventions.erase_fit import manifest_runs, voice_runs

    if manifest is not None:
        return manifest_runs(session, manifest, label)
    names = parse_names(voices)
    if not names or not texts:
        raise BadInputError("give --voices and at least one --text, or a --manifest of labelled prompts")
    return voice_runs(session, names, texts, label, {"instruct": instruct, "language": language})


def fit(model: opt.ModelOption, out: opt.OutOption,
        site: Annotated[str, typer.Option("--site", help="site(s), comma-separated; `*` for every layer")],
        label: LabelOption = "speaker", voices: VoicesOption = None, text: opt.TextsOption = None,
        manifest: ManifestOption = None, instruct: opt.InstructOption = None, language: opt.LanguageOption = "auto",
        segments: opt.SegmentsOption = None, frames: opt.FramesOption = None,
        test_fraction: Annotated[float, typer.Option("--test-fraction", help="share of runs (label speaker) or "
                                                                             "voices (other labels) held out")] = 0.34,
        codes: opt.CodesOption = None, max_new_tokens: opt.MaxFramesOption = 50, seed: opt.SeedOption = 0,
        device: opt.DeviceOption = "auto", dtype: opt.DtypeOption = "float32") -> None:
    """Fit LEACE, mean-difference and random-subspace erasers on labelled runs; probe held-out runs."""
    from tts_interp.interventions.erase_fit import run_fit
    from tts_interp.interventions.erase_runs import open_session
    from tts_interp.interventions.talker.prompts import load_codes

    if not 0.0 < test_fraction < 1.0:
        raise BadInputError(f"--test-fraction must be between 0 and 1, got {test_fraction}")
    with status(f"loading {model}"):
        session = open_session(model, device, dtype)
    runs = _runs(session, voices, text, manifest, label, instruct, language)
    forced = load_codes(codes, session.adapter) if codes else None
    with progress_bar(f"reading {len(runs)} labelled runs", len(runs)) as advance:
        payload = run_fit(session, runs, label, [site], selection_of(segments, frames), out, test_fraction, seed,
                          forced, max_new_tokens, advance)
    probes = {(p["site"], p["eraser"]): p for p in payload["held_out_probe"]}
    first = payload["sites"][0]
    show = {m: f"{probes[(first, m)]['accuracy']:.3f} (chance {probes[(first, m)]['chance']:.3f}, "
               f"p={probes[(first, m)]['p_value']:.3f})" for m in ("none", "leace", "mean_diff", "random")}
    print_done(out, {"classes": ", ".join(payload["classes"]), "runs": payload["counts"]["runs"],
                     f"held-out probe at {first}": "; ".join(f"{k}: {v}" for k, v in show.items()),
                     "erasers": ", ".join(payload["files"][m] for m in ("leace", "mean_diff", "random"))})


def apply(model: opt.ModelOption, out: opt.OutOption,
          eraser: Annotated[Path, typer.Option("--eraser", help="an eraser file, or an `erase fit` directory")],
          alphas: Annotated[str, typer.Option("--alphas", help="strengths in [0, 1], comma-separated (0 = no edit, "
                                                               "1 = full erasure)")] = "0,0.5,1",
          sites: Annotated[str | None, typer.Option("--sites", help="sites to erase at, one per cell; `a+b` "
                                                                    "erases at a and b together in one cell "
                                                                    "(default: every site of the eraser alone)")
                                       ] = None,
          methods: Annotated[str, typer.Option("--methods", help="leace,mean_diff,random (with a directory)")
                             ] = "leace,mean_diff,random",
          voices: VoicesOption = None, text: opt.TextsOption = None, manifest: ManifestOption = None,
          label: LabelOption = "speaker", instruct: opt.InstructOption = None, language: opt.LanguageOption = "auto",
          segments: opt.SegmentsOption = None, frames: opt.FramesOption = None, seed: opt.SeedOption = 0,
          greedy: opt.GreedyOption = False, max_new_tokens: opt.MaxFramesOption = 200,
          score: Annotated[bool, typer.Option("--score/--no-score", help="run the attackers and WER after")] = True,
          device: opt.DeviceOption = "auto", dtype: opt.DtypeOption = "float32",
          on_stale: opt.OnStaleOption = "recompute") -> None:
    """Generate plainly and erased (eraser x site x alpha x prompt), one run directory each; then score."""
    from tts_interp.interventions.erase_runs import open_session
    from tts_interp.interventions.erase_sweep import plan_erase_sweep, run_erase_sweep

    with status(f"loading {model}"):
        session = open_session(model, device, dtype)
    runs = _runs(session, voices, text, manifest, label, instruct, language)
    settings = session.adapter.settings_of(seed, greedy, max_new_tokens)
    plan = plan_erase_sweep(session, eraser, runs, parse_names(alphas) or [], settings, parse_names(sites) or [],
                            parse_names(methods) or [], selection_of(segments, frames), device, dtype)
    with progress_bar(f"erasing: {len(runs)} plain + {len(plan.cells)} cells", plan.generations) as advance:
        run_erase_sweep(session, plan, out, advance, say_stale, on_stale)
    summary = {"cells": len(plan.cells), "plain runs": len(runs), "manifest": str(Path(out) / "manifest.jsonl")}
    if score:
        summary |= _score(out, seed)
    print_done(out, summary)


def _score(out: Path, seed: int) -> dict[str, str]:
    from tts_interp.evals.privacy_sweep import read_clips, score_erasure
    from tts_interp.evals.scoring import ScoreConfig
    from tts_interp.report.erase_plots import plot_frontier

    with progress_bar("scoring clips (ASR)", len(read_clips(out))) as advance:
        payload = score_erasure(out, ScoreConfig(scorers=("asr", "attackers"), seed=seed), advance)
    plots = plot_frontier(Path(out) / "privacy", payload)
    return {"attackers": attackers_line(payload), "table": str(Path(out) / "privacy" / "privacy.csv"),
            "plots": ", ".join(plots) or "none"}


def score(sweep: Annotated[Path, typer.Argument(help="the output directory of `erase apply`")],
          seed: opt.SeedOption = 0) -> None:
    """Ignorant / lazy-informed attacker EER, identification accuracy and WER per condition of a sweep."""
    print_done(sweep / "privacy", _score(sweep, seed))


app.command("fit")(fit)
app.command("apply")(apply)
app.command("score")(score)
