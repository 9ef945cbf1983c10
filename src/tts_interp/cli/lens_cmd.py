"""`tts-interp lens`: logit lens over the talker and the code predictor, optionally a prompt-effect profile."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tts_interp.cli import options as opt
from tts_interp.cli.common import print_done, status
from tts_interp.cli.talker_common import request_of
from tts_interp.interventions.session import Session
from tts_interp.models.registry import check_capabilities


def lens(model: opt.ModelOption, text: opt.TextOption, out: opt.OutOption, instruct: opt.InstructOption = None,
         speaker: opt.SpeakerOption = None, ref_audio: opt.RefAudioOption = None, ref_text: opt.RefTextOption = None,
         language: opt.LanguageOption = "auto", codes: opt.CodesOption = None, max_new_tokens: opt.MaxFramesOption = 100,
         vs_instruct: Annotated[str | None, typer.Option("--vs-instruct", help="profile: a second instruct")] = None,
         vs_no_instruct: Annotated[bool, typer.Option("--vs-no-instruct", help="profile: the prompt without its "
                                                                              "instruct")] = False,
         vs_speaker: Annotated[str | None, typer.Option("--vs-speaker", help="profile: a second speaker")] = None,
         vs_ref_audio: Annotated[Path | None, typer.Option("--vs-ref-audio", help="profile: a second reference "
                                                                                 "clip")] = None,
         vs_ref_text: Annotated[str | None, typer.Option("--vs-ref-text", help="transcript of --vs-ref-audio")] = None,
         no_code_predictor: Annotated[bool, typer.Option("--no-code-predictor", help="talker lens only")] = False,
         device: opt.DeviceOption = "auto", dtype: opt.DtypeOption = "float32") -> None:
    """Logit lens per layer and frame in one teacher-forced pass; with --vs-*, the prompt-effect profile."""
    from tts_interp.interventions.talker.lens_experiment import run_lens
    from tts_interp.interventions.talker.prompts import derive_request, load_codes
    from tts_interp.report.talker_plots import plot_lens

    request = request_of(text, instruct, speaker, ref_audio, ref_text, language)
    compare = any(v is not None for v in (vs_instruct, vs_speaker, vs_ref_audio, vs_ref_text)) or vs_no_instruct
    vs_request = derive_request(request, instruct=vs_instruct, no_instruct=vs_no_instruct, speaker=vs_speaker,
                                ref_audio=str(vs_ref_audio) if vs_ref_audio else None,
                                ref_text=vs_ref_text) if compare else None
    with status(f"loading {model}"):
        check_capabilities(model, ("teacher_force", "lens"))
        session = Session(model, device, dtype)
    forced = load_codes(codes, session.adapter) if codes else None
    with status("lens: one teacher-forced pass reading every layer"):
        run = run_lens(session, request, out, forced, max_new_tokens, vs_request, not no_code_predictor)
        plots = plot_lens(out, run)
    last = run.payload["layers"][-1]
    summary = {"frames": run.payload["frames"], "layers": len(run.payload["layers"]),
               "last layer KL to final": f"{last['kl_to_final']:.2e}", "plots": ", ".join(plots)}
    if run.effect is not None:
        summary["prompt effect"] = f"{', '.join(run.effect.differs)} (prompt_effect.csv)"
    print_done(out, summary)
