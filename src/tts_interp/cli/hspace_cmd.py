"""`tts-interp hspace direction|edit|sweep`: h-space directions and edits of diffusion / flow-matching TTS."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tts_interp.cli import options as opt
from tts_interp.cli.common import print_done, progress_bar, say_stale, status
from tts_interp.core.errors import BadInputError
from tts_interp.interventions.session import Session
from tts_interp.models.registry import check_capabilities
from tts_interp.tracing.selection import parse_t_range

if TYPE_CHECKING:  # torch loads inside the commands that run a model (fast --help)
    from tts_interp.interventions.hspace.collection import LabelledRequest

app = typer.Typer(no_args_is_help=True, help="h-space of diffusion TTS denoisers (Grad-TTS, F5-TTS): find "
                                              "directions, edit across timesteps, sweep alpha x t-range.")


def _ints(text: str | None, name: str) -> list[int]:
    if not text:
        return []
    try:
        return [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise BadInputError(f"{name} {text!r} is not a comma-separated list of integers") from None


def _floats(text: str, name: str) -> list[float]:
    try:
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise BadInputError(f"{name} {text!r} is not a comma-separated list of numbers") from None


def _group_items(spec: Path | None, positive_speakers: str | None, negative_speakers: str | None,
                 texts: list[str]) -> tuple[list[LabelledRequest], str, str]:
    """Labelled utterances from a groups file, or from speaker lists x texts."""
    import yaml

    from tts_interp.interventions.hspace.collection import LabelledRequest
    from tts_interp.models.denoising.settings import DenoiseRequest

    if spec is not None:
        if not spec.is_file():
            raise BadInputError(f"groups file {spec} does not exist")
        data = yaml.safe_load(spec.read_text()) or {}
        texts = list(data.get("texts") or texts)
        groups = [data.get("positive"), data.get("negative")]
        if not all(isinstance(g, dict) and g.get("items") for g in groups):
            raise BadInputError(f"{spec} needs 'positive' and 'negative' groups, each with 'label' and 'items' "
                                "(items: {speaker: N} or {ref_audio: PATH, ref_text: TEXT})")
        labels = [str(g.get("label", name)) for g, name in zip(groups, ("positive", "negative"), strict=True)]
        voices = [[dict(v) for v in g["items"]] for g in groups]
    else:
        labels = ["positive", "negative"]
        voices = [[{"speaker": s} for s in _ints(positive_speakers, "--positive-speakers")],
                  [{"speaker": s} for s in _ints(negative_speakers, "--negative-speakers")]]
    if not texts:
        raise BadInputError("give at least one --text (or 'texts' in the groups file)")
    items = [LabelledRequest(DenoiseRequest(text=t, speaker=v.get("speaker"), ref_audio=v.get("ref_audio"),
                                            ref_text=v.get("ref_text")), label)
             for label, group in zip(labels, voices, strict=True) for v in group for t in texts]
    return items, labels[0], labels[1]


def direction(model: opt.ModelOption, out: opt.OutOption,
              groups: Annotated[Path | None, typer.Option("--groups", help="YAML: positive/negative groups (label, "
                                                                           "items) and texts")] = None,
              positive_speakers: Annotated[str | None, typer.Option("--positive-speakers", help="e.g. 0,3,5")] = None,
              negative_speakers: Annotated[str | None, typer.Option("--negative-speakers", help="e.g. 1,2,4")] = None,
              text: opt.TextsOption = None, site: opt.SiteOption = "denoiser.hspace",
              per_step: Annotated[bool, typer.Option("--per-step", help="one direction per solver step")] = False,
              components: Annotated[int, typer.Option("--pca", help="also save this many PCA components")] = 0,
              store: Annotated[str, typer.Option("--store", help="disk (stream rows to OUT/activations) | memory")] = "disk",
              steps: opt.StepsOption = 10, seed: opt.SeedOption = 0, device: opt.DeviceOption = "cpu",
              dtype: opt.DtypeOption = "float32") -> None:
    """Collect h-space over two labelled groups; save their mean-difference direction (and PCA components)."""
    from tts_interp.core.results import write_result
    from tts_interp.interventions.directions.file import provenance
    from tts_interp.interventions.hspace.collection import collect
    from tts_interp.interventions.hspace.directions import mean_difference, pca
    from tts_interp.models.denoising.settings import SamplerSettings

    if store not in ("disk", "memory"):
        raise BadInputError(f"unknown store {store!r}; valid: disk, memory")
    items, positive, negative = _group_items(groups, positive_speakers, negative_speakers, list(text or []))
    settings = SamplerSettings(steps=steps, seed=seed)
    with status(f"loading {model}"):
        check_capabilities(model, ("denoise",))
        session = Session(model, device, dtype)
    store_dir = Path(out) / "activations" if store == "disk" else None
    with progress_bar(f"collecting {site}", len(items)) as advance:
        collection = collect(session, items, settings, site, store_dir=store_dir, on_item=advance)
    collection.save(Path(out))
    found = mean_difference(collection, positive, negative, per_step=per_step)
    found.weights = provenance(session.adapter.describe())
    found.save(Path(out) / "direction.safetensors")
    summary: dict[str, Any] = {"command": "hspace direction", "model": session.adapter.describe(), "site": site,
                               "settings": settings.to_json(), "positive": positive, "negative": negative,
                               "utterances": len(items), "mean_norm": collection.mean_norm,
                               "direction": "direction.safetensors", "direction_info": found.info}
    if components:
        directions, ratios = pca(collection, components)
        for i, component in enumerate(directions):
            component.weights = provenance(session.adapter.describe())
            component.save(Path(out) / f"pca-{i}.safetensors")
        summary["pca"] = {"explained_variance_ratio": ratios, "files": [f"pca-{i}.safetensors" for i in range(len(ratios))]}
    write_result(Path(out), summary)
    print_done(Path(out), {"utterances": len(items), "mean h-space norm": round(collection.mean_norm, 4),
                           "difference / mean norm": [round(v, 4) for v in found.info["difference_over_mean_norm"]][:4]})


def edit_cmd(model: opt.ModelOption, out: opt.OutOption,
             direction_path: Annotated[Path | None, typer.Option("--direction", help="a direction.safetensors")] = None,
             alpha: Annotated[float, typer.Option("--alpha", help="strength in units of the mean h-space norm")] = 1.0,
             t_range: opt.TRangeOption = None, text: Annotated[str, typer.Option("--text", "-t")] = "",
             speaker: opt.SpeakerIndexOption = None, ref_audio: opt.RefAudioOption = None, ref_text: opt.RefTextOption = None,
             steps: opt.StepsOption = 10, seed: opt.SeedOption = 0, device: opt.DeviceOption = "cpu",
             dtype: opt.DtypeOption = "float32") -> None:
    """Sample one utterance with alpha * direction added within a t-range (no direction: plain sampling)."""
    from tts_interp.interventions.hspace.directions import Direction
    from tts_interp.interventions.hspace.editing import edit, write_run
    from tts_interp.models.denoising.settings import DenoiseRequest, SamplerSettings

    span = parse_t_range(t_range)
    found = Direction.load(direction_path) if direction_path is not None else None
    request = DenoiseRequest(text, speaker, str(ref_audio) if ref_audio else None, ref_text)
    settings = SamplerSettings(steps=steps, seed=seed)
    with status(f"loading {model}"):
        check_capabilities(model, ("denoise",))
        session = Session(model, device, dtype)
    with status(f"sampling {steps} steps"):
        run = edit(session, request, settings, found, alpha, span)
        result = write_run(Path(out), session, run, {
            "command": "hspace edit", "alpha": alpha, "t_range": list(span) if span else None,
            "direction": str(direction_path) if direction_path else None})
    edited = sum(1 for t in run.sampled.timesteps if span is None or span[0] <= t <= span[1]) if found else 0
    print_done(Path(out), {"seconds": result["seconds"], "edited steps": edited})


def sweep_cmd(model: opt.ModelOption, out: opt.OutOption,
              directions: Annotated[list[Path], typer.Option("--direction", help="direction file(s); one at "
                                                                               "speaker_embedding is the baseline")],
              alphas: Annotated[str, typer.Option("--alphas", help="comma-separated, e.g. -2,-1,1,2")] = "-1,1",
              t_ranges: Annotated[str, typer.Option("--t-ranges", help="comma-separated a:b ranges, e.g. 0:1,0.5:1")] = "0:1",
              text: opt.TextsOption = None, speaker: opt.SpeakerIndexOption = None, ref_audio: opt.RefAudioOption = None,
              ref_text: opt.RefTextOption = None, steps: opt.StepsOption = 10, seed: opt.SeedOption = 0,
              device: opt.DeviceOption = "cpu", dtype: opt.DtypeOption = "float32",
              on_stale: opt.OnStaleOption = "recompute") -> None:
    """Every prompt x direction x alpha x t-range (plus a plain reference per prompt): audio + rows.jsonl."""
    from tts_interp.interventions.hspace.directions import Direction
    from tts_interp.interventions.hspace.sweep import sweep, sweep_cells
    from tts_interp.models.denoising.settings import DenoiseRequest, SamplerSettings

    spans = [parse_t_range(s) for s in t_ranges.split(",") if s.strip()]
    loaded = [Direction.load(p) for p in directions]
    if not text:
        raise BadInputError("give at least one --text")
    requests = [DenoiseRequest(t, speaker, str(ref_audio) if ref_audio else None, ref_text) for t in text]
    settings = SamplerSettings(steps=steps, seed=seed)
    with status(f"loading {model}"):
        check_capabilities(model, ("denoise",))
        session = Session(model, device, dtype)
    values = _floats(alphas, "--alphas")
    total = len(sweep_cells(len(requests), loaded, values, spans, [session.is_conditioning(d.site) for d in loaded]))
    with progress_bar("sweeping", total) as advance:
        summary = sweep(session, requests, loaded, values, spans, settings, Path(out), on_cell=advance,
                        on_stale=say_stale, policy=on_stale)
    for item in summary["skipped"]:
        typer.echo(f"skipped {item['cell']}: {item['reason']}", err=True)
    print_done(Path(out), {"cells": summary["cells"], "finished": summary["finished"], "rows": "rows.jsonl"})


app.command("direction")(direction)
app.command("edit")(edit_cmd)
app.command("sweep")(sweep_cmd)
