"""The mission's key figure: identity shift and WER against alpha, steering at the site beside the style-vector
reference, with 95% CIs; a cell whose clips were all refused is marked where it would be."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from tts_interp.report.figures import pyplot

COLOURS = {"site": "#c44e52", "style": "#4c72b0"}


def _series(cells: Sequence[Mapping[str, Any]], edit: str, metric: str) -> tuple[list, list, list, list]:
    """alpha, value, CI low, CI high of `metric` along one edit (the plain cell at alpha 0 first); refused
    cells (no value) are left out of the line and returned as their alphas in `missing`."""
    plain = [c for c in cells if c["edit"] == "none"]
    curve = plain + sorted((c for c in cells if c["edit"] == edit), key=lambda c: c["alpha"])
    xs, ys, lows, highs = [], [], [], []
    for cell in curve:
        stat = cell[metric]
        if stat.get("value") is None:
            continue
        ci = stat.get("ci95") or (stat["value"], stat["value"])
        xs.append(cell["alpha"])
        ys.append(stat["value"])
        lows.append(stat["value"] - ci[0])
        highs.append(ci[1] - stat["value"])
    return xs, ys, lows, highs


def steering_curve_png(payload: Mapping[str, Any]) -> bytes:
    """Two panels sharing alpha: identity shift (0 = source voice, 1 = the target centroid) and WER."""
    plt = pyplot()
    cells = payload["cells"]
    site = payload["config"]["site"]
    edits = {"site": site, "style": "style"}
    fig, axes = plt.subplots(1, 2, figsize=(8.4, 3.2))
    for ax, metric, label in ((axes[0], "identity_shift", "identity shift (0 source, 1 target)"),
                              (axes[1], "wer", "WER")):
        for name, edit in edits.items():
            xs, ys, lows, highs = _series(cells, edit, metric)
            ax.errorbar(xs, ys, yerr=[lows, highs], fmt="o-", color=COLOURS[name], capsize=3, markersize=4,
                        label=f"{site} (steered)" if name == "site" else "style vector (reference)")
            for cell in cells:
                if cell["edit"] == edit and cell[metric].get("value") is None:
                    ax.axvline(cell["alpha"], color=COLOURS[name], linestyle=":", linewidth=1)
                    ax.annotate("refused", (cell["alpha"], 0.5), xycoords=("data", "axes fraction"), rotation=90,
                                fontsize=7, color=COLOURS[name], ha="right")
        ax.set_xticks(sorted({c["alpha"] for c in cells}))
        ax.set_xlabel("alpha (x the site's mean row norm)")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[0].axhline(0, color="black", linewidth=0.6)
    axes[0].axhline(1, color="black", linewidth=0.6, linestyle=":")
    axes[0].legend(fontsize=7, loc="upper left")
    fig.suptitle(f"female->male on {payload['config']['source_voice']}: mean and 95% CI over "
                 f"{len(payload['config']['eval_texts'])} held-out texts", fontsize=9)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    return buffer.getvalue()
