"""Per-codebook plots: probe scores per codebook (bars with 95% CIs, the cumulative curve, chance and control
lines), one figure per task; and codebook statistics (persistence, perplexity, mutual information)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from tts_interp.report.figures import pyplot, save_figure

METRIC = {"classification": ("accuracy", "accuracy"), "regression": ("r2", "R$^2$")}


def plot_probe_results(result: dict[str, Any], out_dir: Path) -> list[Path]:
    """One PNG per task: single-codebook bars with CIs, the cumulative 0..k curve, chance, control."""
    plt = pyplot()
    written = []
    for task, data in result["tasks"].items():
        metric, label = METRIC[data["kind"]]
        single = [r for r in data["results"] if r["mode"] == "single"]
        cumulative = [r for r in data["results"] if r["mode"] == "cumulative"]
        if not single:
            continue
        ks = np.array([r["codebook"] for r in single])
        values = np.array([r[metric] for r in single])
        low = np.array([r["ci95"].get(metric, [v, v])[0] for r, v in zip(single, values, strict=True)])
        high = np.array([r["ci95"].get(metric, [v, v])[1] for r, v in zip(single, values, strict=True)])
        fig, ax = plt.subplots(figsize=(max(6, 0.45 * len(ks) + 2), 4))
        ax.bar(ks, values, color="#4c72b0", label="codebook k alone")
        # the interval as computed (a bootstrap interval over few test utterances need not contain the estimate)
        ax.vlines(ks, low, high, color="black", linewidth=1, label="95% CI")
        if cumulative:
            ax.plot(
                [r["codebook"] for r in cumulative],
                [r[metric] for r in cumulative],
                "o-",
                color="#dd8452",
                label="codebooks 0..k",
            )
        ax.plot(
            ks,
            [r["control"][metric] for r in single],
            "x:",
            color="#55a868",
            label="control (shuffled labels)",
        )
        ax.axhline(
            float(np.mean([r["chance"][metric] for r in single])), color="grey", ls="--", label="chance"
        )
        ax.set_xticks(ks)
        ax.set_xlabel("codebook")
        ax.set_ylabel(label)
        ax.set_title(f"{task} probe: {result['codec']['codec']}")
        ax.legend(fontsize=8)
        fig.tight_layout()
        written.append(save_figure(fig, Path(out_dir) / f"probe_{task}.png"))
    return written


def plot_codebook_stats(stats: dict[str, Any], codec_name: str, out_dir: Path) -> Path:
    """Persistence (ms) and perplexity per codebook, and the mutual-information matrix, in one PNG."""
    plt = pyplot()
    rows = stats["per_codebook"]
    ks = [r["codebook"] for r in rows]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    axes[0].bar(ks, [r["mean_run_ms"] for r in rows], color="#4c72b0")
    axes[0].axhline(1000 / stats["frame_rate"], color="grey", ls="--", label="one frame (no persistence)")
    axes[0].set(xlabel="codebook", ylabel="mean run length (ms)", title="persistence")
    axes[0].legend(fontsize=8)
    axes[1].bar(ks, [r["perplexity"] for r in rows], color="#dd8452")
    axes[1].set(xlabel="codebook", ylabel="perplexity", title="usage", yscale="log")
    image = axes[2].imshow(np.asarray(stats["mutual_information_bits"]), cmap="viridis")
    axes[2].set(xlabel="codebook", ylabel="codebook", title="mutual information (bits, plug-in)")
    fig.colorbar(image, ax=axes[2])
    fig.suptitle(codec_name)
    fig.tight_layout()
    return save_figure(fig, Path(out_dir) / "codebook_stats.png")
