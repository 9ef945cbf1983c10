"""`tts-interp direction`: a direction between two labelled sets of runs (mean difference, probe, PCA)."""

from __future__ import annotations

from itertools import product
from pathlib import Path
from typing import Annotated, Any

import typer

from tts_interp.api.model import Model, load
from tts_interp.cli import options as opt
from tts_interp.cli.common import print_done, progress_bar, status
from tts_interp.cli.talker_common import selection_of, voice_fields
from tts_interp.core.errors import BadInputError


def build_set(model: Model, texts: list[str], instructs: list[str] | None, speakers: list[str] | None,
              ref_audios: list[str] | None, base: dict[str, Any]) -> list[Any]:
    """Every text x every combination of the set's conditions (a condition not given keeps the shared value), as
    the family's requests; speakers may be voice filters such as @en-us/male (`Model.voice_set`)."""
    if not (instructs or speakers or ref_audios):
        return []
    voices = model.voice_set(speakers) if speakers else [base["speaker"]]
    return [model.adapter.request_of(text, {**base, "instruct": instruct, "speaker": speaker, "ref_audio": ref_audio})
            for text, instruct, speaker, ref_audio in product(texts, instructs or [base["instruct"]], voices,
                                                              ref_audios or [base["ref_audio"]])]


def direction(model: opt.ModelOption, out: opt.OutOption,
              text: Annotated[list[str], typer.Option("--text", "-t", help="a text to speak (repeatable); every "
                                                                            "run of both sets speaks each")],
              method: Annotated[str, typer.Option("--method", help="mean_diff | probe | pca")] = "mean_diff",
              sites: Annotated[str, typer.Option("--sites", help="sites, comma-separated; `*` for every layer")
                               ] = "talker.layer.*.resid_out",
              a_instruct: Annotated[list[str] | None, typer.Option("--a-instruct", help="set A instruct "
                                                                                       "(repeatable)")] = None,
              b_instruct: Annotated[list[str] | None, typer.Option("--b-instruct", help="set B instruct "
                                                                                       "(repeatable)")] = None,
              a_speaker: Annotated[list[str] | None, typer.Option("--a-speaker", "--a-voice", help="set A speaker; "
                                                                  "Kokoro: voices or filters like @en-us/male")] = None,
              b_speaker: Annotated[list[str] | None, typer.Option("--b-speaker", "--b-voice", help="set B speaker; "
                                                                  "Kokoro: voices or filters like @en-us/female")] = None,
              a_ref_audio: Annotated[list[Path] | None, typer.Option("--a-ref-audio", help="set A clip")] = None,
              b_ref_audio: Annotated[list[Path] | None, typer.Option("--b-ref-audio", help="set B clip")] = None,
              instruct: opt.InstructOption = None, speaker: opt.SpeakerOption = None, ref_audio: opt.RefAudioOption = None,
              ref_text: opt.RefTextOption = None, language: opt.LanguageOption = "auto", segments: opt.SegmentsOption = None,
              frames: opt.FramesOption = None,
              components: Annotated[int, typer.Option("--components", help="PCA components to keep")] = 4,
              codes: opt.CodesOption = None, max_new_tokens: opt.MaxFramesOption = 50, device: opt.DeviceOption = "auto",
              dtype: opt.DtypeOption = "float32") -> None:
    """Directions from set A vs set B (PCA: of A, or of A and B pooled) at sites, pooled over segments/frames.

    Shared options (--instruct, --speaker, --ref-audio) apply to both sets unless a set gives its own. Any family;
    where its runs differ in length more than its voices do (Kokoro), each run's rows are averaged first.
    """
    from tts_interp.interventions.directions.experiment import DIRECTION_FILE, run_direction
    from tts_interp.interventions.talker.prompts import load_codes
    from tts_interp.report.talker_plots import plot_direction

    with status(f"loading {model}"):
        loaded = load(model, device, dtype, needs=("run",))
    base = voice_fields(speaker, instruct, ref_audio, ref_text, language)
    set_a = build_set(loaded, text, a_instruct, a_speaker, [str(p) for p in a_ref_audio or []], base)
    set_b = build_set(loaded, text, b_instruct, b_speaker, [str(p) for p in b_ref_audio or []], base)
    if not set_a:
        raise BadInputError("set A is empty: give --a-instruct, --a-speaker or --a-ref-audio")
    forced = load_codes(codes, loaded.adapter) if codes else None
    with progress_bar(f"reading {len(set_a)} + {len(set_b)} runs", len(set_a) + len(set_b)) as advance:
        made, payload = run_direction(loaded.session, set_a, set_b, [sites], selection_of(segments, frames), method,
                                      out, forced, max_new_tokens, components, advance,
                                      pool_runs=loaded.adapter.pool_runs)
    plots = plot_direction(out, payload)
    print_done(out, {"method": method, "sites": len(made.sites), "runs": f"A {len(set_a)}, B {len(set_b)}",
                     "direction": str(Path(out) / DIRECTION_FILE), "plots": ", ".join(plots) or "none"})
