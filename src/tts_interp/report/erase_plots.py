"""The privacy-utility frontier of an erasure sweep: ignorant-attacker EER against WER over alpha, per site."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tts_interp.report.figures import pyplot, save_figure
from tts_interp.report.talker_plots import record_plots

COLOURS = {"leace": "#c44e52", "mean_diff": "#4c72b0", "random": "#8c8c8c"}


def plot_frontier(out_dir: Path, payload: dict[str, Any]) -> list[str]:
    """One panel per site: a line per eraser through (WER, EER) points labelled by alpha, with EER CIs."""
    frontier = payload["frontier"]
    if not frontier:
        return []
    plt = pyplot()
    fig, axes = plt.subplots(1, len(frontier), figsize=(4.2 * len(frontier), 3.8), squeeze=False, sharex=True, sharey=True)
    for ax, (site, methods) in zip(axes[0], frontier.items(), strict=True):
        for method, points in methods.items():
            wer = [p["wer"] if p["wer"] is not None else float("nan") for p in points]
            eer = [p["ignorant_eer"] for p in points]
            ax.plot(wer, eer, "o-", color=COLOURS.get(method, "black"), label=method, markersize=4)
            for p, x, y in zip(points, wer, eer, strict=True):
                low, high = p.get("ignorant_eer_ci95") or (y, y)
                ax.vlines(x, low, high, color=COLOURS.get(method, "black"), alpha=0.35)
                ax.annotate(f"{p['alpha']:g}", (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
        ax.axhline(0.5, color="black", linestyle=":", linewidth=0.8)
        ax.set_title(site, fontsize=8)
        ax.set_xlabel("WER (utility loss)")
        ax.grid(alpha=0.3)
    axes[0, 0].set_ylabel("ignorant-attacker EER (0.5 = chance)")
    axes[0, -1].legend(fontsize=7)
    fig.suptitle("privacy-utility frontier over alpha (labels); bars: EER 95% CI", fontsize=9)
    fig.tight_layout()
    return record_plots(out_dir, [save_figure(fig, Path(out_dir) / "frontier.png")])
