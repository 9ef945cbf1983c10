"""`tts-interp erase fit|apply|score`: fit LEACE (and its baselines) at a site, generate erased, attack the result."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from tts_interp.cli import options as opt
from tts_interp.cli.common import attackers_line, attackers_table, print_done, progress_bar, say_stale, status
from tts_interp.cli.talker_common import parse_names, selection_of
from tts_interp.core.errors import BadInputError
from tts_interp.core.protocol import warning_of

app = typer.Typer(no_args_is_help=True, help="Erase a label (speaker, gender, ...) from a site's activations: "
                                              "fit LEACE and baselines, generate erased, score attackers.")

VoicesOption = Annotated[str | None, typer.Option("--voices", help="named voices, comma-separated (each speaks "
                                                                   "every --text)")]
ManifestOption = Annotated[Path | None, typer.Option("--manifest", help="JSONL of labelled prompts or reference "
                                                                        "clips: text, speaker|ref_audio|instruct, "
                                                                        "and the label's field")]
LabelOption = Annotated[str, typer.Option("--label", help="speaker | gender | any manifest field")]
VerifiersOption = Annotated[str, typer.Option("--verifiers", help="speaker verifiers the attackers use, comma-"
                                                                  "separated: resemblyzer, dvector (offline), ecapa, "
                                                                  "wavlm-sv (hub)")]


def _runs(session: Any, voices: str | None, texts: list[str] | None, manifest: Path | None, label: str,
          instruct: str | None, language: str, attacker_voices: str | None = None) -> list[Any]:
    """The labelled runs: a manifest's rows, or every voice x every text (labels from the model's voices); then
    the attacker's own voices x the same texts (role `attacker`)."""
    from dataclasses import replace

    from tts_interp.interventions.erasure.fit import manifest_runs, voice_runs

    if manifest is not None:
        runs = manifest_runs(session, manifest, label)
    else:
        names = parse_names(voices)
        if not names or not texts:
            raise BadInputError("give --voices and at least one --text, or a --manifest of labelled prompts")
        runs = voice_runs(session, names, texts, label, {"instruct": instruct, "language": language})
    own = parse_names(attacker_voices)
    if not own:
        return runs
    texts = list(dict.fromkeys(r.request.text for r in runs))
    attacker = voice_runs(session, own, texts, "speaker", {"instruct": instruct, "language": language})
    return runs + [replace(r, label=r.voice, role="attacker") for r in attacker]


def _verifiers(value: str) -> tuple[str, ...]:
    """The verifiers named (checked by the scoring config, before any generation), default resemblyzer."""
    from tts_interp.evals.scoring import ScoreConfig

    names = tuple(parse_names(value) or []) or ("resemblyzer",)
    ScoreConfig(verifiers=names).validated()
    return names


def fit(model: opt.ModelOption, out: opt.OutOption,
        site: Annotated[str, typer.Option("--site", help="site(s), comma-separated; `*` for every layer")],
        label: LabelOption = "speaker", voices: VoicesOption = None, text: opt.TextsOption = None,
        manifest: ManifestOption = None, instruct: opt.InstructOption = None, language: opt.LanguageOption = "auto",
        segments: opt.SegmentsOption = None, frames: opt.FramesOption = None,
        test_fraction: Annotated[float, typer.Option("--test-fraction", help="share of runs (label speaker) or "
                                                                             "voices (other labels) held out")] = 0.34,
        codes: opt.CodesOption = None, max_new_tokens: opt.MaxFramesOption = 50, seed: opt.SeedOption = 0,
        pca_ranks: Annotated[str | None, typer.Option("--pca-ranks", help="also fit PCA subspaces of the voice "
                                                                          "variation of these ranks (e.g. 8,16,32), "
                                                                          "their random controls and the mean "
                                                                          "replacement")] = None,
        device: opt.DeviceOption = "auto", dtype: opt.DtypeOption = "float32") -> None:
    """Fit LEACE, mean-difference and random-subspace erasers on labelled runs; probe held-out runs. The fit
    voices and texts are recorded: every score of an eraser says whether it is open-set or closed-set."""
    from tts_interp.interventions.erasure.fit import run_fit
    from tts_interp.interventions.erasure.runs import open_session
    from tts_interp.interventions.talker.prompts import load_codes

    if not 0.0 < test_fraction < 1.0:
        raise BadInputError(f"--test-fraction must be between 0 and 1, got {test_fraction}")
    with status(f"loading {model}"):
        session = open_session(model, device, dtype)
    runs = _runs(session, voices, text, manifest, label, instruct, language)
    forced = load_codes(codes, session.adapter) if codes else None
    with progress_bar(f"reading {len(runs)} labelled runs", len(runs)) as advance:
        payload = run_fit(session, runs, label, [site], selection_of(segments, frames), out, test_fraction, seed,
                          forced, max_new_tokens, advance, _ranks(pca_ranks))
    probes = {(p["site"], p["eraser"]): p for p in payload["held_out_probe"]}
    first = payload["sites"][0]
    show = {m: f"{probes[(first, m)]['accuracy']:.3f} (chance {probes[(first, m)]['chance']:.3f}, "
               f"p={probes[(first, m)]['p_value']:.3f}, smallest attainable p {probes[(first, m)]['min_p']:.3f})"
            for m in ("none", "leace", "mean_diff", "random")}
    print_done(out, {"classes": ", ".join(payload["classes"]), "runs": payload["counts"]["runs"],
                     f"held-out probe at {first}": "; ".join(f"{k}: {v}" for k, v in show.items()),
                     "fit set": f"{len(payload['fit']['voices'])} voices, {len(payload['fit']['texts'])} texts "
                                "(every score of these erasers says whether it is open- or closed-set)",
                     "erasers": ", ".join(f for k, f in payload["files"].items() if k != "probe")})


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
          attacker_voices: Annotated[str | None, typer.Option("--attacker-voices", help="the semi-informed "
                                                                                       "attacker's own voices (disjoint "
                                                                                       "from --voices), erased too")
                                     ] = None,
          verifiers: VerifiersOption = "resemblyzer",
          device: opt.DeviceOption = "auto", dtype: opt.DtypeOption = "float32",
          on_stale: opt.OnStaleOption = "recompute") -> None:
    """Generate plainly and erased (eraser x site x alpha x prompt), one run directory each; then score."""
    from tts_interp.interventions.erasure.runs import open_session
    from tts_interp.interventions.erasure.sweep import plan_erase_sweep, run_erase_sweep

    with status(f"loading {model}"):
        session = open_session(model, device, dtype)
    names = _verifiers(verifiers)
    runs = _runs(session, voices, text, manifest, label, instruct, language, attacker_voices)
    settings = session.adapter.settings_of(seed, greedy, max_new_tokens)
    plan = plan_erase_sweep(session, eraser, runs, parse_names(alphas) or [], settings, parse_names(sites) or [],
                            parse_names(methods) or [], selection_of(segments, frames), device, dtype)
    with progress_bar(f"erasing: {len(runs)} plain + {len(plan.cells)} cells", plan.generations) as advance:
        swept = run_erase_sweep(session, plan, out, advance, say_stale, on_stale)
    summary = {"cells": len(plan.cells), "plain runs": len(runs), "manifest": str(Path(out) / "manifest.jsonl"),
               "protocol": "; ".join(f"{m}: {e['protocol']}" for m, e in swept["erasers"].items())}
    for method, eraser in swept["erasers"].items():
        warning = warning_of(eraser, f"the {method} eraser")
        if warning:
            typer.echo(f"WARNING {warning}")
    if score:
        summary |= _score(out, seed, names)
    print_done(out, summary)


def _ranks(value: str | None) -> tuple[int, ...]:
    ranks = []
    for part in parse_names(value) or []:
        if not part.isdigit() or int(part) < 1:
            raise BadInputError(f"--pca-ranks takes positive integers, comma-separated; got {part!r}")
        ranks.append(int(part))
    return tuple(ranks)


def _score(out: Path, seed: int, verifiers: tuple[str, ...], prosody: bool = True,
           as_json: bool = False) -> dict[str, str]:
    from tts_interp.evals.privacy_sweep import read_clips, score_erasure
    from tts_interp.evals.scoring import ScoreConfig
    from tts_interp.report.erase_plots import plot_frontier

    scorers = ("asr", "attackers", *(("prosody",) if prosody else ()))
    config = ScoreConfig(scorers=scorers, seed=seed, verifiers=verifiers).validated()
    with progress_bar("scoring clips (ASR)", len(read_clips(out))) as advance:
        payload = score_erasure(out, config, advance)
    plots = plot_frontier(Path(out) / "privacy", payload)
    typer.echo(json.dumps({k: payload.get(k) for k in ("conditions", "protocol", "frontier")}, indent=1) if as_json
               else attackers_table(payload))
    return {"attackers": attackers_line(payload), "table": str(Path(out) / "privacy" / "privacy.csv"),
            "plots": ", ".join(plots) or "none"}


def score(sweep: Annotated[Path, typer.Argument(help="the output directory of `erase apply`")],
          seed: opt.SeedOption = 0, verifiers: VerifiersOption = "resemblyzer",
          prosody: Annotated[bool, typer.Option("--prosody/--no-prosody", help="also score how much prosody "
                                                                             "survives (F0-contour correlation with "
                                                                             "the original, speaking-rate change)")
                             ] = True, as_json: opt.JsonOption = False) -> None:
    """Ignorant / lazy-informed / semi-informed attacker EER, identification accuracy and WER per condition of a
    sweep, under each verifier, with the held-out protocol of each eraser (closed-set results are flagged)."""
    print_done(sweep / "privacy", _score(sweep, seed, _verifiers(verifiers), prosody, as_json))


app.command("fit")(fit)
app.command("apply")(apply)
app.command("score")(score)
