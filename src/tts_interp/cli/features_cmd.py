"""`tts-interp features neurons|sae|ablate|steer`: feature discovery on Whisper's encoder (any encoder site).

Corpora (`--data`): `espeak[:N]` (phoneme-aligned espeak-ng speech), `nonspeech[:N]` (noise, tones, music,
and the same under speech), `espeak:N+nonspeech:M` (both), or a manifest/folder of clips.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Annotated

import typer

from tts_interp.cli import options as opt
from tts_interp.cli.common import print_done, progress_bar, say_notes, status

app = typer.Typer(no_args_is_help=True, help="Neurons and SAE features of Whisper's encoder: top-activating "
                                             "audio, phoneme purity, ablation and steering during transcription.")
DEFAULT_MODEL = "whisper-tiny.en"


def _loaded(model: str, device: str):  # noqa: ANN202
    import torch

    from tts_interp.core.device import resolve_device
    from tts_interp.models.registry import load_model

    with status(f"loading {model}"):
        return load_model(model, resolve_device(device), torch.float32, needs=("transcribe",))


def _corpus(data: str, seed: int):  # noqa: ANN202
    from tts_interp.data.manifest import manifest_note
    from tts_interp.interventions.features.corpus import iter_corpus

    parts = [p for p in data.split("+") if p]
    say_notes([manifest_note(p) for p in parts])
    return lambda: itertools.chain.from_iterable(iter_corpus(p, seed) for p in parts)


def _count(corpus) -> int:  # noqa: ANN001
    return sum(1 for _ in corpus())


def neurons(model: opt.ModelOption = DEFAULT_MODEL, site: opt.EncoderSiteOption = "encoder.layer.2.mlp.act",
            data: opt.CorpusOption = "espeak:40+nonspeech:10", out: opt.OutOption = Path("features_out"),
            sae: opt.SaeOption = None, k: Annotated[int, typer.Option("--k", help="top frames kept per unit")] = 20,
            batch_size: opt.BatchOption = 8, seed: opt.SeedOption = 0, device: opt.DeviceOption = "cpu") -> None:
    """Top-k positive/negative frames of every neuron (or SAE feature), purity, noise units, snippets."""
    from tts_interp.interventions.features.sae import load_sae
    from tts_interp.interventions.features.unit_scan import run_unit_scan
    from tts_interp.report.feature_plots import snippet_panels

    adapter = _loaded(model, device)
    unit_fn, meta = None, {"units": "neurons"}
    if sae is not None:
        loaded = load_sae(sae)
        site, unit_fn, meta = loaded.config.site, loaded.encode, {"units": "sae features", "sae": str(sae)}
    adapter.site(site)
    corpus = _corpus(data, seed)
    meta |= {"model": adapter.describe(), "corpus": data, "seed": seed}
    with progress_bar(f"scanning {site}", _count(corpus)) as advance:
        payload = run_unit_scan(adapter, corpus, site, out, unit_fn, k, batch_size, meta=meta, on_batch=advance,
                                draw=snippet_panels)
    print_done(out, {"clips": payload["n_clips"], "frames": payload["n_frames"],
                     "purest": ", ".join(f"{p['unit']}:{p['phoneme']}={p['purity']:.2f}" for p in payload["purest"])})


def sae(model: opt.ModelOption = DEFAULT_MODEL, site: opt.EncoderSiteOption = "encoder.layer.2.resid_out",
        data: opt.CorpusOption = "espeak:40+nonspeech:10", out: opt.OutOption = Path("sae_out"),
        kind: Annotated[str, typer.Option("--kind", help="topk | l1")] = "topk",
        dict_size: Annotated[int, typer.Option("--dict-size", help="features")] = 1536,
        k: Annotated[int, typer.Option("--k", help="topk: active features per frame")] = 32,
        l1: Annotated[float, typer.Option("--l1", help="l1: sparsity penalty")] = 0.04,
        steps: Annotated[int, typer.Option("--steps", help="training steps")] = 2000,
        batch: Annotated[int, typer.Option("--batch", help="rows per training step")] = 512,
        stability: Annotated[bool, typer.Option("--stability/--no-stability", help="train a second SAE (seed + 1) "
                                                "and report the share of features found again")] = True,
        seed: opt.SeedOption = 0, device: opt.DeviceOption = "cpu") -> None:
    """Train an SAE from streamed activations; held-out FVE/L0/dead features, faithfulness, feature purity."""
    from tts_interp.api.sae_experiment import run_sae
    from tts_interp.interventions.features.sae import SAEConfig
    from tts_interp.report.feature_plots import snippet_panels

    adapter = _loaded(model, device)
    adapter.site(site)
    config = SAEConfig(kind, dict_size, k, l1, 1e-3, steps, batch, seed, site)
    corpus = _corpus(data, seed)
    with progress_bar(f"training {kind} SAE", steps) as advance:
        done = [0]

        def on_step(step: int, _: dict) -> None:
            advance(step + 1 - done[0])
            done[0] = step + 1

        payload = run_sae(adapter, corpus, data, config, out, meta={"model": adapter.describe(), "seed": seed},
                          on_step=on_step, draw=snippet_panels, stability=stability)
    from tts_interp.report.text_tables import stat_text

    held, faithful = payload["heldout"], payload["faithfulness"]
    same_k = held["baselines"]["pca_same_k"]
    print_done(out, {"held-out frames": held["n_frames"], "L0": f"{held['l0']:.1f}", "dead": held["dead_features"],
                     "FVE": f"{held['fve']:.3f} (PCA with {same_k['components']} components: {same_k['fve']:.3f}; "
                            f"PCA rank reaching it: {held['baselines']['pca_rank_reaching_sae_fve']})",
                     "WER vs clean transcript": ", ".join(
                         f"{name} {stat_text(faithful[name]['wer_vs_clean'])}"
                         for name in faithful if isinstance(faithful[name], dict) and "wer_vs_clean" in faithful[name]),
                     **_stability_line(held.get("seed_stability"))})


def _stability_line(found: dict | None) -> dict[str, str]:
    """The seed-stability figure beside its chance, for the finished line."""
    if found is None:
        return {}
    return {"found again with seed + 1": f"{found['matched_share']:.1%} of {found['n_features']} features (decoder "
                                         f"cosine >= {found['threshold']}; random directions: "
                                         f"{found['chance_matched_share']:.1%}); median best cosine "
                                         f"{found['median_best_cosine']:.2f} (random {found['chance_median_best_cosine']:.2f})"}


def _edit_command(op: str, model: str, site: str, units: str, data: str, out: Path, sae: Path | None,
                  value: float, frames: str | None, random_controls: int, batch_size: int, seed: int,
                  device: str) -> None:
    from tts_interp.core.errors import BadInputError
    from tts_interp.evals.feature_edits import transcribe_with_edits
    from tts_interp.interventions.features.edits import edit_conditions

    adapter = _loaded(model, device)
    try:
        unit_list = tuple(int(u) for u in units.split(",") if u.strip())
        span = tuple(int(x) for x in frames.split(":")) if frames else None
    except ValueError:
        raise BadInputError(f"--units {units!r} / --frames {frames!r}: give integers like 12,40 and 10:50") from None
    conditions = edit_conditions(adapter, op, site, unit_list, value, span, sae, random_controls, seed)
    corpus = _corpus(data, seed)
    with progress_bar(f"{op}: clean + {len(conditions)} conditions", _count(corpus)) as advance:
        payload = transcribe_with_edits(adapter, corpus(), conditions, out, batch_size, on_batch=advance,
                                        meta={"model": adapter.describe(), "corpus": data, "seed": seed})
    from tts_interp.report.text_tables import stat_text

    first = payload["aggregates"][conditions[0].name]
    against = payload.get("against_controls")
    print_done(out, {"items": payload["n_items"], "WER vs clean": stat_text(first["wer_vs_clean"]),
                     "changed items": first["changed_items"],
                     **({"against random controls": f"above {against['percentile']:.0%} of {against['n_controls']} "
                                                    f"(median {against['controls_median']:.3f}), p = "
                                                    f"{against['p_value']:.3f} (min p {against['min_p']:.3f})"}
                        if against and against["p_value"] is not None else {})})


def ablate(model: opt.ModelOption = DEFAULT_MODEL, site: opt.EncoderSiteOption = "encoder.layer.2.mlp.act",
           units: opt.UnitsOption = "0",
           data: opt.CorpusOption = "espeak:20", out: opt.OutOption = Path("ablate_out"), sae: opt.SaeOption = None,
           scale: Annotated[float, typer.Option("--scale", help="multiply instead of zeroing (1 = no-op)")] = 0.0,
           frames: opt.EncoderFramesOption = None,
           random_controls: Annotated[int, typer.Option("--random-controls", help="also ablate this many random "
                                                                                  "units (as many, drawn uniformly "
                                                                                  "from the site's others) and rank "
                                                                                  "the edit among them")] = 0,
           batch_size: opt.BatchOption = 8, seed: opt.SeedOption = 0, device: opt.DeviceOption = "cpu") -> None:
    """Transcribe with neurons/SAE features zeroed (or scaled); WER/CER vs clean per item with CIs."""
    _edit_command("ablate" if scale == 0 else "scale", model, site, units, data, out, sae, scale, frames,
                  random_controls, batch_size, seed, device)


def steer(model: opt.ModelOption = DEFAULT_MODEL, site: opt.EncoderSiteOption = "encoder.layer.2.mlp.act",
          units: opt.UnitsOption = "0",
          data: opt.CorpusOption = "espeak:20", out: opt.OutOption = Path("steer_out"), sae: opt.SaeOption = None,
          alpha: Annotated[float, typer.Option("--alpha", help="added times the unit's direction")] = 5.0,
          frames: opt.EncoderFramesOption = None, batch_size: opt.BatchOption = 8, seed: opt.SeedOption = 0,
          device: opt.DeviceOption = "cpu") -> None:
    """Transcribe with alpha times a neuron's axis / SAE feature's decoder direction added; WER/CER vs clean."""
    _edit_command("steer", model, site, units, data, out, sae, alpha, frames, 0, batch_size, seed, device)


app.command("neurons")(neurons)
app.command("sae")(sae)
app.command("ablate")(ablate)
app.command("steer")(steer)
