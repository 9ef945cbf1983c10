"""Plots of the talker experiments (lens, patch, direction, steer), each listed in its run's result.json.

Every `plot_*` writes its PNGs into the run directory and records their names under `plots` in result.json.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from tts_interp.core.results import write_result
from tts_interp.interventions.patching.sweep import PatchSweep
from tts_interp.interventions.steering.sweep import SteerSweep
from tts_interp.interventions.talker.lens_experiment import LensRun
from tts_interp.report.figures import heatmap, layer_curves
from tts_interp.tracing.sites import LAYER_SITE


def record_plots(out_dir: Path, paths: list[Path]) -> list[str]:
    """Add the plots' file names to OUT/result.json under `plots`."""
    names = [Path(p).name for p in paths]
    result_path = Path(out_dir) / "result.json"
    payload = json.loads(result_path.read_text())
    payload["plots"] = names
    write_result(out_dir, payload)
    return names


def plot_lens(out_dir: Path, run: LensRun) -> list[str]:
    """Layer x frame KL heatmap, per-layer curves, code-predictor layer x codebook heatmap, prompt-effect curves."""
    out_dir = Path(out_dir)
    talker = run.lens.talker
    layers = list(range(talker.kl_to_final.shape[0]))
    frames = list(range(talker.kl_to_final.shape[1]))
    model = run.payload["model"]["model_id"]
    paths = [heatmap(talker.kl_to_final, out_dir / "lens_kl_heatmap.png", title=f"logit lens: KL to final, {model}",
                     xlabel="frame", ylabel="talker layer", colorbar="KL(final || layer), nats", xticks=frames,
                     yticks=layers)]
    rows = talker.layer_rows()
    series = {k: np.array([r[k] for r in rows]) for k in ("kl_to_final", "top1_agreement", "entropy",
                                                            "chosen_rank_mean")}
    paths.append(layer_curves(layers, series, out_dir / "lens_layers.png", title=f"logit lens per layer, {model}",
                              ylabels={"kl_to_final": "KL to final", "top1_agreement": "top-1 agreement",
                                       "entropy": "entropy (nats)", "chosen_rank_mean": "rank of chosen code"}))
    if run.lens.code_predictor is not None:
        cp = run.lens.code_predictor.kl_to_final.mean(axis=1)  # (layers, codebooks)
        paths.append(heatmap(cp, out_dir / "lens_code_predictor.png", title=f"code-predictor lens: KL to final, {model}",
                             xlabel="codebook", ylabel="code-predictor layer", colorbar="KL, nats (mean over frames)",
                             xticks=list(range(1, cp.shape[1] + 1)), yticks=list(range(cp.shape[0]))))
    if run.effect is not None:
        effect_rows = run.effect.layer_rows()
        names = ("lens_js", "cosine", "relative_l2")
        values = {n: np.array([r[n] for r in effect_rows]) for n in names}
        bands = {n: (np.array([r[f"{n}_ci_low"] for r in effect_rows]),
                     np.array([r[f"{n}_ci_high"] for r in effect_rows])) for n in names}
        paths.append(layer_curves(layers, values, out_dir / "prompt_effect.png", bands=bands,
                                  title=f"prompt effect ({', '.join(run.effect.differs) or 'no difference'}), {model}",
                                  ylabels={"lens_js": "lens JS (nats)", "cosine": "residual cosine",
                                           "relative_l2": "relative L2"}))
    return record_plots(out_dir, paths)


def plot_patch(out_dir: Path, sweep: PatchSweep) -> list[str]:
    """One layer x segment heatmap of the sweep's metric per site kind."""
    paths = []
    for kind, matrix in sweep.matrices.items():
        paths.append(heatmap(matrix, Path(out_dir) / f"patch_{kind}.png", annotate=matrix.size <= 400,
                             title=f"patching A into B at {kind}: {sweep.metric} (0 = stays B, 1 = becomes A)",
                             xlabel="segment", ylabel="talker layer", colorbar=sweep.metric, xticks=sweep.segments,
                             yticks=sweep.layers, cmap="magma"))
    return record_plots(out_dir, paths)


def plot_direction(out_dir: Path, payload: dict[str, Any]) -> list[str]:
    """Per-layer curves (one figure per site family such as talker resid_out): the direction's relative norm and,
    when present, probe accuracy and explained variance."""
    families: dict[str, list[dict[str, Any]]] = {}
    for row in payload["per_site"]:
        match = LAYER_SITE.match(row["site"])
        if match and match["index"].isdigit():
            families.setdefault(f"{match['prefix']}.{match['kind']}", []).append(row)
    paths = []
    for family, group in families.items():
        if len(group) < 2:
            continue
        series = {"relative_norm": np.array([r["relative_norm"] for r in group], dtype=float)}
        for key in ("train_accuracy", "cv_accuracy", "explained_variance_ratio_0"):
            if any(r[key] is not None for r in group):
                series[key] = np.array([np.nan if r[key] is None else r[key] for r in group], dtype=float)
        paths.append(layer_curves([r["layer"] for r in group], series,
                                  Path(out_dir) / f"direction_{family.replace('.', '_')}.png",
                                  title=f"{payload['method']} direction per layer ({family})"))
    return record_plots(out_dir, paths)


def plot_steer(out_dir: Path, sweep: SteerSweep) -> list[str]:
    """Layer (group) x alpha heatmap of codebook-0 agreement with the plain run (none for a sweep over named
    sites, or for a family without codes)."""
    by_cell = {(r["layers"], r["alpha"]): r["code0_agreement_with_plain"] for r in sweep.rows}
    labels = ["-".join(map(str, g)) for g in sweep.layer_groups if g]
    if not labels or all(v is None for v in by_cell.values()):
        return []
    matrix = np.array([[np.nan if by_cell.get((g, a)) is None else by_cell[(g, a)] for a in sweep.alphas]
                       for g in labels], dtype=float)
    path = heatmap(matrix, Path(out_dir) / "steer_agreement.png", annotate=matrix.size <= 400, vmin=0.0, vmax=1.0,
                   title="steering: share of codebook-0 codes equal to the plain run", xlabel="alpha",
                   ylabel="layer(s)", colorbar="code-0 agreement", xticks=[f"{a:g}" for a in sweep.alphas],
                   yticks=labels)
    return record_plots(out_dir, [path])
