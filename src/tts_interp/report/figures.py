"""The one plotting helper: pyplot on Agg, `save_figure`, and the two figure types most experiments need (a
labelled heatmap, per-layer curves with optional CI bands).

matplotlib runs on the Agg backend (no display needed); every function writes one PNG and returns its path.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np


def pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def heatmap(matrix: np.ndarray, path: Path, *, title: str, xlabel: str, ylabel: str, colorbar: str,
            xticks: Sequence[Any] | None = None, yticks: Sequence[Any] | None = None, annotate: bool = False,
            vmin: float | None = None, vmax: float | None = None, cmap: str = "viridis") -> Path:
    """Rows bottom-up (layer 0 at the bottom), columns left to right; NaN cells are left blank."""
    plt = pyplot()
    matrix = np.asarray(matrix, dtype=float)
    rows, cols = matrix.shape
    fig, ax = plt.subplots(figsize=(min(14, 3 + 0.35 * cols + (1.2 if annotate else 0) * cols / 4),
                                    min(10, 2 + 0.35 * rows)))
    image = ax.imshow(np.ma.masked_invalid(matrix), origin="lower", aspect="auto", cmap=cmap, vmin=vmin, vmax=vmax,
                      interpolation="nearest")
    fig.colorbar(image, ax=ax, label=colorbar)
    if xticks is not None:
        step = max(1, cols // 30)
        ax.set_xticks(range(0, cols, step))
        ax.set_xticklabels([str(t) for t in list(xticks)[::step]], rotation=45 if cols > 8 else 0, ha="right"
                           if cols > 8 else "center", fontsize=8)
    if yticks is not None:
        step = max(1, rows // 30)
        ax.set_yticks(range(0, rows, step))
        ax.set_yticklabels([str(t) for t in list(yticks)[::step]], fontsize=8)
    if annotate:
        for r in range(rows):
            for c in range(cols):
                if np.isfinite(matrix[r, c]):
                    light = float(image.norm(matrix[r, c])) > 0.6  # the bright end of viridis/magma
                    ax.text(c, r, f"{matrix[r, c]:.2f}", ha="center", va="center", fontsize=7,
                            color="black" if light else "white")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return save_figure(fig, path)


def layer_curves(layers: Sequence[int], series: dict[str, np.ndarray], path: Path, *, title: str,
                 bands: dict[str, tuple[np.ndarray, np.ndarray]] | None = None,
                 ylabels: dict[str, str] | None = None) -> Path:
    """One panel per series (value per layer), each with an optional (low, high) band, sharing the layer axis."""
    plt = pyplot()
    fig, axes = plt.subplots(len(series), 1, figsize=(7, 2.2 * len(series) + 0.6), sharex=True, squeeze=False)
    for ax, (name, values) in zip(axes[:, 0], series.items(), strict=True):
        ax.plot(layers, values, "o-", color="#4c72b0", markersize=4)
        if bands and name in bands:
            low, high = bands[name]
            ax.fill_between(layers, low, high, color="#4c72b0", alpha=0.2, label="95% CI")
            ax.legend(fontsize=7)
        ax.set_ylabel((ylabels or {}).get(name, name), fontsize=8)
        ax.grid(alpha=0.3)
    axes[-1, 0].set_xlabel("layer")
    axes[-1, 0].set_xticks(list(layers))
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return save_figure(fig, path)


def save_figure(fig: Any, path: Path) -> Path:
    """Write a laid-out figure as PNG (110 dpi) and close it; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    pyplot().close(fig)
    return path
