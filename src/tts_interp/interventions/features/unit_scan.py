"""`tts-interp features neurons|features`: one streamed pass, then every unit's table row and, for the
purest and the most noise-selective units, +/-0.5 s audio snippets and mel pictures of their top frames.

Outputs in `out_dir`: `units.jsonl` (every unit: density, top-k positive and negative frames with clip, time,
value, phoneme, word), `result.json` (config, model provenance, counts, purest units with purity, chance
base rate, binomial p and AUC, noise units), `snippets/unit_<u>/*.wav` and `unit_<u>.png`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import torch

from tts_interp.core.audio import write_wav
from tts_interp.core.results import write_result
from tts_interp.core.stats import benjamini_hochberg
from tts_interp.interventions.features.activations import stream_activations
from tts_interp.interventions.features.corpus import SAMPLE_RATE, Clip
from tts_interp.interventions.features.purity import purest
from tts_interp.interventions.features.scan import ScanResult, scan_units
from tts_interp.interventions.features.topk import split_id
from tts_interp.models.whisper.sites import FRAME_SECONDS

HALF_WINDOW = 0.5  # seconds of audio either side of a top frame
Draw = Callable[[list[dict], Path, str], Path]  # panels (audio, activation, centre, label), path, title -> the picture


def _examples(scan: ScanResult, values: torch.Tensor, ids: torch.Tensor, sign: float) -> list[dict]:
    rows = []
    for value, frame_id in zip(values.tolist(), ids.tolist(), strict=True):
        if frame_id < 0:
            continue
        clip, time, phoneme, word, kind = scan.frame_label(frame_id)
        rows.append({"clip": clip, "time": time, "value": round(sign * value, 5), "phoneme": phoneme,
                     "word": word, "kind": kind, "padding": False})
    return rows


def unit_rows(scan: ScanResult) -> list[dict]:
    """One row per unit: density and its top-k positive and negative frames."""
    density = scan.stats.density()
    return [{"unit": u, "density": round(float(density[u]), 6),
             "top_positive": _examples(scan, scan.stats.positive.values[u], scan.stats.positive.ids[u], 1.0),
             "top_negative": _examples(scan, scan.stats.negative.values[u], scan.stats.negative.ids[u], -1.0)}
            for u in range(density.shape[0])]


def write_snippets(scan: ScanResult, units: list[int], clips: Iterable[Clip], adapter,  # noqa: ANN001
                   unit_fn: Callable | None, out_dir: Path, draw: Draw | None = None, per_unit: int = 4) -> list[str]:
    """WAV snippets of the top `per_unit` frames of each unit in `units` and, with `draw` (report/feature_plots.py
    draws mel + activation panels), one picture per unit; returns the pictures' paths."""
    wanted = {u: [split_id(int(i)) for i in scan.stats.positive.ids[u][:per_unit] if i >= 0] for u in units}
    needed = {clip for pairs in wanted.values() for clip, _ in pairs}
    traces: dict[int, tuple[np.ndarray, torch.Tensor]] = {}
    chosen = [c for i, c in enumerate(clips) if i in needed]
    order = sorted(needed)
    for item in stream_activations(adapter, chosen, [scan.site], batch_size=8):
        acts = item.acts[scan.site]
        traces[order[item.index]] = (item.clip.audio, unit_fn(acts).detach() if unit_fn else acts)
    pictures = []
    half, frames_half = int(HALF_WINDOW * SAMPLE_RATE), int(round(HALF_WINDOW / FRAME_SECONDS))
    for unit, pairs in wanted.items():
        panels = []
        for rank, (clip, frame) in enumerate(pairs):
            audio, acts = traces[clip]
            centre = int(frame * FRAME_SECONDS * SAMPLE_RATE)
            lo, hi = max(0, centre - half), min(len(audio), centre + half)
            f_lo, f_hi = max(0, frame - frames_half), min(acts.shape[0], frame + frames_half)
            _, time, phoneme, word, _ = scan.frame_label(clip * (1 << 16) + frame)
            write_wav(out_dir / "snippets" / f"unit_{unit}" / f"{rank:02d}_{scan.clip_ids[clip]}_{time:.2f}s.wav",
                      audio[lo:hi], SAMPLE_RATE)
            panels.append({"audio": audio[lo:hi], "activation": acts[f_lo:f_hi, unit].numpy(),
                           "centre": (centre - lo) / SAMPLE_RATE,
                           "label": f"{scan.clip_ids[clip][:14]} {time:.2f}s {phoneme or ''} {word or ''}"})
        if panels and draw is not None:
            pictures.append(str(draw(panels, out_dir / f"unit_{unit}.png", f"{scan.site} unit {unit}")))
    return pictures


def run_unit_scan(adapter, corpus: Callable[[], Iterable[Clip]], site: str, out_dir: Path,  # noqa: ANN001
                  unit_fn: Callable | None = None, k: int = 20, batch_size: int = 8, show: int = 5,
                  meta: dict | None = None, on_batch: Callable[[int], None] | None = None, draw: Draw | None = None) -> dict:
    """Scan, write every unit's row, the purity table, noise units and snippets; return result.json's payload."""
    out_dir = Path(out_dir)
    scan = scan_units(adapter, corpus(), site, unit_fn, k=k, batch_size=batch_size, on_batch=on_batch)
    rows = unit_rows(scan)
    purity = scan.purity()
    q_values = iter(benjamini_hochberg([p.p_value for p in purity if p.p_value is not None]))
    q_of = {p.unit: next(q_values) for p in purity if p.p_value is not None}
    for row, p in zip(rows, purity, strict=True):
        row.update({"top_phoneme": p.top_class, "purity": p.purity, "base_rate": p.base_rate, "p_value": p.p_value,
                    "min_p": p.min_p, "q_value_bh": q_of.get(p.unit), "n_clips": p.n_clips, "auc": p.auc,
                    "phonemes": p.distribution})
    noise = scan.noise_selectivity()
    if noise is not None:
        for row in rows:
            row["noise_auc"] = round(float(noise[row["unit"]]), 4)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "units.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    best = purest(purity, show, min_labelled=max(1, k * 3 // 4))
    noise_units = [int(u) for u in np.argsort(-noise)[:show]] if noise is not None else []
    by_max = [int(u) for u in scan.stats.positive.values[:, 0].argsort(descending=True)[:show]]
    pictures = write_snippets(scan, [p.unit for p in best] or by_max, corpus(), adapter, unit_fn, out_dir, draw)
    pictures += write_snippets(scan, noise_units, corpus(), adapter, unit_fn, out_dir, draw) if noise_units else []
    labelled_frames = scan.labelled.count
    payload = {
        "site": site, "k": k, "n_clips": len(scan.clip_ids), "n_frames": scan.stats.frames,
        "padding_frames_excluded": scan.padding_frames_excluded, "n_labelled_frames": labelled_frames,
        "n_units": len(rows),
        "purest": [{"unit": p.unit, "phoneme": p.top_class, "purity": p.purity, "n": p.n_labelled,
                    "chance_base_rate": p.base_rate, "p_value": p.p_value, "min_p": p.min_p,
                    "q_value_bh": q_of.get(p.unit), "n_clips": p.n_clips, "auc": p.auc, "auc_chance": 0.5,
                    "density": rows[p.unit]["density"]} for p in best],
        "noise_units": [{"unit": u, "noise_auc": float(noise[u]), "auc_chance": 0.5,
                         "density": rows[u]["density"]} for u in noise_units],
        "definitions": {"purity": "share of the top phoneme among the top-k frames; chance = its base rate",
                        "p_value": "circular shift of each clip's phonemes (clustered by clip; 1 / (1 + shifts) at "
                                   "least); q_value_bh: Benjamini-Hochberg over every unit of the site",
                        "auc": "activation for the top phoneme vs all other labelled frames; chance 0.5",
                        "noise_auc": "activation on non-speech clips vs phone frames; chance 0.5"},
        "pictures": pictures, **(meta or {})}
    write_result(out_dir, payload)
    return payload
