"""The privacy-utility frontier of an erasure sweep: ignorant-attacker EER against WER over alpha, per site."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tts_interp.report.figures import pyplot, save_figure
from tts_interp.report.talker_plots import record_plots

COLOURS = {"leace": "#c44e52", "mean_diff": "#4c72b0", "random": "#8c8c8c"}
PANELS_PER_ROW = 3


def plot_frontier(out_dir: Path, payload: dict[str, Any]) -> list[str]:
    """One panel per site: a line per eraser through (WER, EER) points labelled by alpha, with EER CIs."""
    frontier = payload["frontier"]
    if not frontier:
        return []
    plt = pyplot()
    cols = min(PANELS_PER_ROW, len(frontier))
    rows = -(-len(frontier) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.6 * rows), squeeze=False, sharex=True, sharey=True)
    for ax in axes.flat[len(frontier):]:
        ax.set_visible(False)
    for ax, (site, methods) in zip(axes.flat, frontier.items(), strict=False):  # spare panels are hidden
        for method, points in methods.items():
            wer = [p["wer"] if p["wer"] is not None else float("nan") for p in points]
            eer = [p["ignorant_eer"] for p in points]
            ax.plot(wer, eer, "o-", color=COLOURS.get(method, "black"), label=method, markersize=4)
            for p, x, y in zip(points, wer, eer, strict=True):
                low, high = p.get("ignorant_eer_ci95") or (y, y)
                ax.vlines(x, low, high, color=COLOURS.get(method, "black"), alpha=0.35)
                ax.annotate(f"{p['alpha']:g}", (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
        ax.axhline(0.5, color="black", linestyle=":", linewidth=0.8)
        ax.set_title(site.replace("+", " +\n"), fontsize=8)
        ax.set_xlabel("WER (utility loss)")
        ax.grid(alpha=0.3)
    for row in axes:
        row[0].set_ylabel("ignorant-attacker EER (0.5 = chance)")
    axes.flat[len(frontier) - 1].legend(fontsize=7)
    fig.suptitle("privacy-utility frontier over alpha (labels); bars: EER 95% CI", fontsize=9)
    fig.tight_layout()
    return record_plots(out_dir, [save_figure(fig, Path(out_dir) / "frontier.png")])
