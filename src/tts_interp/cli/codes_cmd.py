"""`tts-interp codes encode|ablate|swap|probe|stats`: the RVQ codebook lab on any folder of speech."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tts_interp.cli import options as opt
from tts_interp.cli.common import console, print_done, progress_bar, say_notes
from tts_interp.core.errors import BadInputError, UnknownNameError

app = typer.Typer(no_args_is_help=True, help="RVQ codebook lab: encode, ablate, swap, probe, stats.")

CodecOption = Annotated[
    str,
    typer.Option(
        "--codec",
        help="tiny-qwen12hz | tiny-mimi | tiny-encodec | a local "
        "checkpoint dir | a hub id (Qwen/Qwen3-TTS-Tokenizer-12Hz, "
        "kyutai/mimi, facebook/encodec_24khz)",
    ),
]
DataOption = Annotated[
    Path,
    typer.Option(
        "--data",
        help="a manifest (.csv/.jsonl: path, speaker[, text, "
        "alignment]), a folder with one, or a LibriSpeech folder",
    ),
]
AlignOption = Annotated[
    Path | None,
    typer.Option(
        "--alignments",
        help="folder of TextGrid/.lab files mirroring the dataset (default: next to the audio)",
    ),
]
CacheOption = Annotated[
    Path | None, typer.Option("--cache", help="codes cache folder (default: the user cache)")
]


def _parse_codebooks(text: str) -> list[int]:
    """'1,2' or '1-3' or '0,4-6' -> sorted unique ints."""
    out: set[int] = set()
    for part in filter(None, (p.strip() for p in text.split(","))):
        try:
            if "-" in part[1:]:
                low, high = part.split("-", 1)
                out.update(range(int(low), int(high) + 1))
            else:
                out.add(int(part))
        except ValueError:
            raise BadInputError(f"codebooks {text!r}: {part!r} is not an index or a range like 1-3") from None
    if not out:
        raise BadInputError(f"codebooks {text!r}: give at least one index, e.g. 1,2 or 1-3")
    return sorted(out)


def _load(codec_id: str, device: str):  # noqa: ANN202 - returns an RVQCodec
    from tts_interp.codecs import load_codec
    from tts_interp.core.device import resolve_device

    with console.status(f"loading codec {codec_id}"):
        return load_codec(codec_id, resolve_device(device))


def _load_with_codebooks(codec_id: str, device: str, codebooks: str):  # noqa: ANN202 - (RVQCodec, list[int])
    """The codec and the codebooks chosen by `--codebooks`, checked against it."""
    model = _load(codec_id, device)
    return model, model.check_codebooks(_parse_codebooks(codebooks))


def _encode(codec, data: Path, alignments: Path | None, cache_root: Path | None):  # noqa: ANN001, ANN202
    from tts_interp.codecs.store import CodesCache, encode_dataset
    from tts_interp.data.datasets import load_dataset

    dataset = load_dataset(data, alignments)
    say_notes(dataset.notes)
    cache = CodesCache(codec, cache_root)
    with progress_bar(f"encoding with {codec.codec_id}", len(dataset.utterances)) as advance:
        encoded = encode_dataset(codec, dataset, cache, progress=advance)
    return dataset, encoded, cache


@app.command("encode")
def encode(
    data: DataOption,
    out: opt.OutOption,
    codec: CodecOption = "tiny-qwen12hz",
    alignments: AlignOption = None,
    cache: CacheOption = None,
    device: opt.DeviceOption = "cpu",
) -> None:
    """Encode every utterance of a dataset to codes (frames x codebooks), saved as OUT/codes/<id>.npy."""
    import numpy as np

    from tts_interp.core.results import write_result

    model = _load(codec, device)
    dataset, encoded, _ = _encode(model, data, alignments, cache)
    (out / "codes").mkdir(parents=True, exist_ok=True)
    for item in encoded.items:
        np.save(out / "codes" / f"{item.utterance.utt_id}.npy", item.codes)
    write_result(
        out,
        {
            "command": "codes encode",
            "codec": model.describe(),
            "dataset": dataset.source,
            "items": [
                {
                    "id": i.utterance.utt_id,
                    "speaker": i.utterance.speaker,
                    "frames": len(i.codes),
                    "codes": f"codes/{i.utterance.utt_id}.npy",
                    "file_hash": i.key,
                }
                for i in encoded.items
            ],
            "from_cache": encoded.cached,
            "notes": encoded.notes,
            "skipped": encoded.skipped,
        },
    )
    print_done(
        out, {"encoded": len(encoded.items), "from cache": encoded.cached, "skipped": len(encoded.skipped)}
    )


@app.command("ablate")
def ablate(
    audio: Annotated[list[Path], typer.Argument(help="audio files (any rate; resampled)")],
    out: opt.OutOption,
    codebooks: Annotated[str, typer.Option("--codebooks", help="e.g. 1,2 or 1-3")],
    mode: Annotated[str, typer.Option("--mode", help="zero | mean (the codebook's mean entry)")] = "zero",
    codec: CodecOption = "tiny-qwen12hz",
    device: opt.DeviceOption = "cpu",
) -> None:
    """Zero (or mean-replace) codebooks' quantised vectors inside the decoder; write ablated + plain audio."""
    from tts_interp.codecs.base import EDIT_MODES
    from tts_interp.interventions.codebooks.edits import ablate_files

    if mode not in EDIT_MODES:
        raise UnknownNameError("ablation mode", mode, EDIT_MODES)
    model, chosen = _load_with_codebooks(codec, device, codebooks)
    with progress_bar("ablating", len(audio)) as advance:
        result = ablate_files(model, audio, chosen, mode, out, advance)  # type: ignore[arg-type]
    print_done(
        out,
        {
            "codebooks": chosen,
            "mode": mode,
            "written": len(result["items"]),
            "skipped": len(result["skipped"]),
        },
    )


@app.command("swap")
def swap(
    a: Annotated[Path, typer.Option("--a", help="utterance giving the chosen codebooks")],
    b: Annotated[Path, typer.Option("--b", help="utterance giving the other codebooks and the timeline")],
    out: opt.OutOption,
    codebooks: Annotated[str, typer.Option("--codebooks", help="taken from A, e.g. 1-2")],
    align: Annotated[
        str, typer.Option("--align", help="truncate | dtw (over codebook-0 embeddings)")
    ] = "dtw",
    codec: CodecOption = "tiny-qwen12hz",
    device: opt.DeviceOption = "cpu",
) -> None:
    """Decode CODEBOOKS from A and the rest from B (frame-aligned), plus both reconstructions."""
    from tts_interp.interventions.codebooks.edits import ALIGNMENTS, swap_files

    if align not in ALIGNMENTS:
        raise UnknownNameError("frame alignment", align, ALIGNMENTS)
    model, chosen = _load_with_codebooks(codec, device, codebooks)
    with console.status("swapping"):
        result = swap_files(model, a, b, chosen, align, out)  # type: ignore[arg-type]
    print_done(out, {"codebooks from A": chosen, "align": align, "frames": result["frames"]})


@app.command("probe")
def probe(
    data: DataOption,
    out: opt.OutOption,
    codec: CodecOption = "tiny-qwen12hz",
    tasks: Annotated[
        str, typer.Option("--tasks", help="comma list of speaker, phoneme, pitch")
    ] = "speaker,phoneme,pitch",
    test_fraction: Annotated[float, typer.Option("--test-fraction")] = 0.3,
    permutations: Annotated[int, typer.Option("--permutations", help="permutation-test draws")] = 200,
    bootstrap: Annotated[int, typer.Option("--bootstrap", help="bootstrap draws for the 95% CI")] = 200,
    max_train_frames: Annotated[int, typer.Option("--max-train-frames")] = 20000,
    alignments: AlignOption = None,
    cache: CacheOption = None,
    seed: opt.SeedOption = 0,
    device: opt.DeviceOption = "cpu",
) -> None:
    """Linear probes per codebook and for codebooks 0..k: speaker, phoneme, pitch; CIs, p-values, control."""
    from tts_interp.interventions.codebooks.probes import TASKS, run_probes
    from tts_interp.report.codebook_plots import plot_probe_results

    chosen = [t.strip() for t in tasks.split(",") if t.strip()]
    for task in chosen:
        if task not in TASKS:
            raise UnknownNameError("probe task", task, TASKS)
    model = _load(codec, device)
    _, encoded, codes_cache = _encode(model, data, alignments, cache)
    n_sets = 2 * model.n_codebooks
    with progress_bar("probing (feature sets x tasks)", n_sets * len(chosen)) as advance:
        result = run_probes(
            model,
            encoded.items,
            out,
            chosen,
            seed,
            test_fraction,
            permutations,
            bootstrap,
            max_train_frames,
            cache=codes_cache,
            prior_skipped=encoded.skipped,
            progress=advance,
        )
    plots = plot_probe_results(result, out)
    summary = {}
    for name, task in result["tasks"].items():
        metric = "r2" if task["kind"] == "regression" else "accuracy"
        single = [r for r in task["results"] if r["mode"] == "single"]
        best = max(single, key=lambda r: r[metric]) if single else None
        if best:
            summary[name] = (
                f"best single codebook {best['codebook']}: {metric} {best[metric]:.3f} "
                f"(chance {best['chance'][metric]:.3f}, p={best['p_value']:.3g})"
            )
    print_done(out, summary | {"plots": ", ".join(p.name for p in plots), "skipped": len(result["skipped"])})


@app.command("stats")
def stats(
    data: DataOption,
    out: opt.OutOption,
    codec: CodecOption = "tiny-qwen12hz",
    cache: CacheOption = None,
    seed: opt.SeedOption = 0,
    device: opt.DeviceOption = "cpu",
) -> None:
    """Per codebook: persistence, usage (entropy, perplexity), mutual information between codebooks."""
    from tts_interp.core.results import write_result
    from tts_interp.interventions.codebooks.stats import codebook_stats
    from tts_interp.report.codebook_plots import plot_codebook_stats

    model = _load(codec, device)
    dataset, encoded, _ = _encode(model, data, None, cache)
    if not encoded.items:
        write_result(out, {"command": "codes stats", "codec": model.describe(), "skipped": encoded.skipped})
        raise BadInputError(
            f"no utterance of {data} could be encoded; see {out / 'result.json'} for the reasons"
        )
    result = codebook_stats([i.codes for i in encoded.items], model.frame_rate, model.codebook_size, seed)
    out.mkdir(parents=True, exist_ok=True)
    plot = plot_codebook_stats(result, model.codec_id, out)
    write_result(
        out,
        {
            "command": "codes stats",
            "codec": model.describe(),
            "dataset": dataset.source,
            "seed": seed,
            **result,
            "plot": plot.name,
            "skipped": encoded.skipped,
        },
    )
    print_done(
        out,
        {
            "utterances": result["n_utterances"],
            "frames": result["n_frames"],
            "mean run (ms) per codebook": [round(r["mean_run_ms"]) for r in result["per_codebook"]],
        },
    )
