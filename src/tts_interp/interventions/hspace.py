"""h-space of diffusion / flow-matching TTS denoisers: collect, find directions, edit across timesteps, sweep.

Following "On the Semantic Latent Space of Diffusion-Based Text-to-Speech Models" (arXiv 2402.12423): the
bottleneck activations of a frozen denoiser (`denoiser.hspace`) carry vocal attributes, and adding a direction
there during sampling edits the voice with no training.

- `collect`: sample a set of labelled utterances while reading a site at every solver step (rows streamed to
  a DiskStore or kept in a MemoryStore); keep each utterance's time-mean per step, and the mean row norm.
- `mean_difference`: supervised direction between two labelled groups, per step or pooled over steps.
- `pca`: unsupervised directions (principal components of the pool) with their explained variance.
- `edit_writes` / `edit`: add alpha * mean_norm * unit direction at the site within a t-range.
- `sweep`: alpha x t-range grid over prompts, writing audio + rows for the eval harness; the paper's baseline
  (a direction at `speaker_embedding`, moved by the same alphas) runs through the same code.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import save_file

from tts_interp import __version__
from tts_interp.core.audio import write_wav
from tts_interp.core.device import resolve_device, resolve_dtype
from tts_interp.core.errors import BadInputError, TTSInterpError
from tts_interp.core.fingerprint import check_policy, content_hash, finished_cell, stamp, weights_provenance
from tts_interp.core.results import write_json, write_result
from tts_interp.models.denoiser import DenoiseRequest, SamplerSettings
from tts_interp.models.registry import family_of, load_model
from tts_interp.tracing.denoise import DenoiseRun, sample
from tts_interp.tracing.engine import Engine, Read
from tts_interp.tracing.ops import Write
from tts_interp.tracing.selection import Selection
from tts_interp.tracing.sites import resolve_site
from tts_interp.tracing.store import DiskStore, MemoryStore

DENOISER_FAMILIES = ("grad-tts", "f5-tts")
MIN_PER_GROUP = 2
DIRECTION_FORMAT = "tts-interp-direction/1"
SAME_MEAN_TOLERANCE = 1e-6  # a mean difference below this fraction of the mean norm is no direction


class DenoiserSession:
    """A loaded diffusion / flow-matching TTS model with its tracing engine, reused across runs."""

    def __init__(self, model: str, device: str = "cpu", dtype: str = "float32"):
        family = family_of(model)
        if family not in DENOISER_FAMILIES:
            raise BadInputError(f"h-space needs a diffusion or flow-matching TTS model ({', '.join(DENOISER_FAMILIES)}); "
                                f"{model!r} is {family}")
        self.model = model
        self.adapter: Any = load_model(model, resolve_device(device), resolve_dtype(dtype))
        self.engine = Engine()
        self.device, self.dtype = device, dtype

    def site_dim(self, site: str) -> int:
        specs = resolve_site(self.adapter.sites(), site)
        if len(specs) != 1:
            raise BadInputError(f"give one site, not a pattern: {site!r} matches {len(specs)}")
        return specs[0].dim

    def is_conditioning(self, site: str) -> bool:
        return resolve_site(self.adapter.sites(), site)[0].clock == "conditioning"


# ---------------------------------------------------------------------------------------------- collecting
@dataclass(frozen=True)
class LabelledRequest:
    """One utterance of a group: what to say, in which voice, and its group label."""

    request: DenoiseRequest
    label: str


@dataclass
class Collection:
    """Per-utterance summaries of a site: time-mean per step (n_items, n_steps, dim) and the mean row norm."""

    model_id: str
    site: str
    timesteps: tuple[float, ...]
    labels: list[str]
    means: torch.Tensor
    mean_norm: float
    mean_norm_per_step: list[float]
    requests: list[DenoiseRequest] = field(default_factory=list)
    store_dir: Path | None = None  # where every row was streamed (item-XXXX/ DiskStores), if on disk

    def save(self, directory: Path) -> Path:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        save_file({"means": self.means.contiguous()}, str(directory / "hspace_means.safetensors"))
        write_json(directory / "collection.json", {
            "model_id": self.model_id, "site": self.site, "timesteps": list(self.timesteps), "labels": self.labels,
            "mean_norm": self.mean_norm, "mean_norm_per_step": self.mean_norm_per_step,
            "requests": [r.to_json() for r in self.requests], "shape": list(self.means.shape),
            "activations": str(self.store_dir) if self.store_dir else None})
        return directory


def collect(session: DenoiserSession, items: Sequence[LabelledRequest], settings: SamplerSettings,
            site: str = "denoiser.hspace", t_range: tuple[float, float] | None = None,
            store_dir: Path | None = None, on_item: Callable[[], None] | None = None) -> Collection:
    """Sample every item while reading `site`; rows go to `store_dir/item-XXXX` (DiskStore) or memory."""
    if not items:
        raise BadInputError("no utterances to collect h-space from")
    conditioning = session.is_conditioning(site)
    selection = Selection() if conditioning else Selection(t_range=t_range)
    means, norms, steps_seen = [], [], None
    for k, item in enumerate(items):
        prompt = session.adapter.prepare(item.request)
        store = DiskStore(Path(store_dir) / f"item-{k:04d}") if store_dir is not None else MemoryStore()
        run = sample(session.engine, session.adapter, prompt, settings, reads=[Read(site, selection)], store=store)
        rows = run.store.get(site)
        steps = [r.step if r.step is not None else 0 for r in rows.rows]
        order = sorted(set(steps))
        step_index = torch.tensor([order.index(s) for s in steps])
        values = rows.values.float()
        summed = torch.zeros(len(order), values.shape[1]).index_add_(0, step_index, values)
        counts = torch.bincount(step_index, minlength=len(order)).clamp_min(1)[:, None]
        means.append(summed / counts)
        norms.append(torch.zeros(len(order)).index_add_(0, step_index, values.norm(dim=1)) / counts[:, 0])
        steps_seen = order
        if on_item is not None:
            on_item()
    assert steps_seen is not None
    all_steps = session.adapter.timesteps(settings)
    timesteps = (float("nan"),) if conditioning else tuple(all_steps[s] for s in steps_seen)
    per_step = torch.stack(norms).mean(0)
    return Collection(session.model, site, timesteps, [i.label for i in items], torch.stack(means),
                      float(per_step.mean()), [float(v) for v in per_step], [i.request for i in items],
                      Path(store_dir) if store_dir is not None else None)


# ---------------------------------------------------------------------------------------------- directions
@dataclass
class Direction:
    """Unit direction(s) at a site: one per step (`per_step`) or one pooled, with the mean row norm as scale."""

    model_id: str
    site: str
    kind: str  # "mean_difference" | "pca"
    vectors: torch.Tensor  # (n_steps or 1, dim), unit norm (rows may be 0 where a step had no difference)
    timesteps: tuple[float, ...]
    per_step: bool
    mean_norm: float
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def save(self, path: Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {"format": DIRECTION_FORMAT, "model_id": self.model_id, "site": self.site, "kind": self.kind,
                "timesteps": list(self.timesteps), "per_step": self.per_step, "mean_norm": self.mean_norm,
                "info": self.info}
        save_file({"vectors": self.vectors.contiguous()}, str(path),
                  metadata={"tts_interp": json.dumps(meta, allow_nan=True)})
        return path

    @classmethod
    def load(cls, path: Path) -> Direction:
        path = Path(path)
        if not path.is_file():
            raise BadInputError(f"direction file {path} does not exist")
        try:
            with safe_open(str(path), framework="pt") as handle:
                meta = json.loads((handle.metadata() or {})["tts_interp"])
                vectors = handle.get_tensor("vectors")
        except Exception as exc:  # not safetensors, or not ours
            raise BadInputError(f"{path} is not a tts-interp direction file ({type(exc).__name__}: {exc})") from None
        if meta.get("format") != DIRECTION_FORMAT:
            raise BadInputError(f"{path} has format {meta.get('format')!r}; expected {DIRECTION_FORMAT}")
        return cls(meta["model_id"], meta["site"], meta["kind"], vectors, tuple(meta["timesteps"]), meta["per_step"],
                   float(meta["mean_norm"]), meta.get("info", {}))

    def check_fits(self, session: DenoiserSession) -> None:
        """Refuse a direction made on another model, or one whose site or size does not match this model."""
        if self.model_id != session.model:
            raise BadInputError(f"this direction was made on model {self.model_id!r}, not {session.model!r}; directions "
                                "do not transfer between models")
        if self.site not in session.adapter.sites():
            raise BadInputError(f"this direction is for site {self.site!r}, which {session.model} does not have")
        if self.dim != session.site_dim(self.site):
            raise BadInputError(f"this direction has size {self.dim}; site {self.site} of {session.model} has "
                                f"{session.site_dim(self.site)}")


def _check_groups(collection: Collection, positive: str, negative: str) -> tuple[torch.Tensor, torch.Tensor]:
    if positive == negative:
        raise BadInputError(f"the two groups are the same label {positive!r}; a direction needs two different groups")
    labels = np.array(collection.labels)
    counts = {label: int((labels == label).sum()) for label in (positive, negative)}
    for label, count in counts.items():
        if count < MIN_PER_GROUP:
            raise BadInputError(f"group {label!r} has {count} utterance(s); a direction needs at least {MIN_PER_GROUP} "
                                f"per group (groups present: {sorted(set(collection.labels))})")
    pos = [r for r, label in zip(collection.requests, collection.labels, strict=True) if label == positive]
    neg = [r for r, label in zip(collection.requests, collection.labels, strict=True) if label == negative]
    if pos and sorted(map(str, pos)) == sorted(map(str, neg)):
        raise BadInputError(f"groups {positive!r} and {negative!r} hold the same utterances; no direction separates them")
    return torch.from_numpy(labels == positive), torch.from_numpy(labels == negative)


def _unit_rows(vectors: torch.Tensor, scale: float) -> tuple[torch.Tensor, list[float]]:
    norms = vectors.norm(dim=1)
    keep = norms > SAME_MEAN_TOLERANCE * max(scale, 1e-30)
    units = torch.where(keep[:, None], vectors / norms.clamp_min(1e-30)[:, None], torch.zeros_like(vectors))
    return units, [float(n) for n in norms]


def mean_difference(collection: Collection, positive: str, negative: str, per_step: bool = False) -> Direction:
    """Mean(positive) - mean(negative) of the per-utterance time-means, per step or pooled over steps."""
    pos, neg = _check_groups(collection, positive, negative)
    means = collection.means if per_step else collection.means.mean(1, keepdim=True)
    diff = means[pos].mean(0) - means[neg].mean(0)
    units, raw = _unit_rows(diff, collection.mean_norm)
    if not bool(units.abs().sum() > 0):
        raise BadInputError(f"groups {positive!r} and {negative!r} give the same mean h-space at {collection.site} "
                            f"(difference {max(raw):.3g} against mean norm {collection.mean_norm:.3g}); no direction")
    info = {"positive": positive, "negative": negative, "n_positive": int(pos.sum()), "n_negative": int(neg.sum()),
            "difference_norm": raw, "difference_over_mean_norm": [r / collection.mean_norm for r in raw]}
    timesteps = collection.timesteps if per_step else (float("nan"),)
    return Direction(collection.model_id, collection.site, "mean_difference", units, timesteps, per_step,
                     collection.mean_norm, info)


def pca(collection: Collection, n_components: int = 4) -> tuple[list[Direction], list[float]]:
    """Principal components of the per-utterance means (pooled over steps), with explained-variance ratios."""
    pool = collection.means.mean(1).double()
    if pool.shape[0] < 2:
        raise BadInputError(f"PCA needs at least 2 utterances, got {pool.shape[0]}")
    centred = pool - pool.mean(0)
    _, singular, vt = torch.linalg.svd(centred, full_matrices=False)
    variance = singular**2
    total = float(variance.sum())
    if total <= 0:
        raise BadInputError(f"all {pool.shape[0]} utterances give the same mean h-space; PCA has nothing to explain")
    k = min(n_components, int(vt.shape[0]))
    ratios = [float(v) / total for v in variance[:k]]
    directions = [Direction(collection.model_id, collection.site, "pca", vt[i:i + 1].float(), (float("nan"),), False,
                            collection.mean_norm, {"component": i, "explained_variance_ratio": ratios[i]})
                  for i in range(k)]
    return directions, ratios


# ---------------------------------------------------------------------------------------------- editing
def edit_writes(session: DenoiserSession, direction: Direction, settings: SamplerSettings, alpha: float,
                t_range: tuple[float, float] | None) -> list[Write]:
    """Writes adding alpha * mean_norm * direction at the direction's site, on the steps within `t_range`."""
    direction.check_fits(session)
    if session.is_conditioning(direction.site):
        if t_range is not None:
            raise BadInputError(f"{direction.site} runs once before sampling; a t-range does not apply to it")
        return [Write(direction.site, "add", direction.vectors[0] * direction.mean_norm, Selection(), alpha)]
    timesteps = session.adapter.timesteps(settings)
    if not direction.per_step:
        return [Write(direction.site, "add", direction.vectors[0] * direction.mean_norm, Selection(t_range=t_range),
                      alpha)]
    if len(timesteps) != len(direction.timesteps) or not np.allclose(timesteps, direction.timesteps):
        raise BadInputError(f"this per-step direction was made with {len(direction.timesteps)} steps at other times; "
                            f"sample with the same --steps ({len(direction.timesteps)}) or make a pooled direction")
    low, high = t_range if t_range is not None else (0.0, 1.0)
    return [Write(direction.site, "add", direction.vectors[n] * direction.mean_norm, Selection(t_range=(t, t)), alpha)
            for n, t in enumerate(timesteps) if low <= t <= high]


def edit(session: DenoiserSession, request: DenoiseRequest, settings: SamplerSettings, direction: Direction | None,
         alpha: float, t_range: tuple[float, float] | None) -> DenoiseRun:
    """Sample `request` with the direction added (no direction or alpha 0: plain sampling through the same path)."""
    prompt = session.adapter.prepare(request)
    writes = edit_writes(session, direction, settings, alpha, t_range) if direction is not None else []
    return sample(session.engine, session.adapter, prompt, settings, writes=writes)


def write_run(out_dir: Path, session: DenoiserSession, run: DenoiseRun, extra: dict[str, Any]) -> dict[str, Any]:
    """Vocode a run and write audio.wav, mel.npy and result.json into `out_dir`."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    mel = run.sampled.mel
    np.save(out_dir / "mel.npy", mel.numpy().astype(np.float32))
    audio = session.adapter.vocode(mel) * run.sampled.audio_gain
    write_wav(out_dir / "audio.wav", audio, session.adapter.sample_rate)
    payload = {"tts_interp_version": __version__, "model": session.adapter.describe(),
               "request": run.prompt.request.to_json(), "settings": run.settings.to_json(),
               "notes": list(run.prompt.notes) + list(run.sampled.notes), "writes": [w.to_json() for w in run.writes],
               "timesteps": list(run.sampled.timesteps), "mel_frames": int(mel.shape[1]),
               "seconds": round(len(audio) / session.adapter.sample_rate, 3), "sample_rate": session.adapter.sample_rate,
               "files": {"audio": "audio.wav", "mel": "mel.npy"}, **extra}
    write_result(out_dir, payload)
    return payload


# ---------------------------------------------------------------------------------------------- sweeps
@dataclass(frozen=True)
class SweepCell:
    """One cell of a sweep: a prompt, a direction (or none: the plain reference), alpha and t-range."""

    prompt_index: int
    direction_index: int | None
    alpha: float
    t_range: tuple[float, float] | None

    @property
    def cell_id(self) -> str:
        if self.direction_index is None:
            return f"p{self.prompt_index:03d}-plain"
        span = "all" if self.t_range is None else f"t{self.t_range[0]:g}-{self.t_range[1]:g}"
        return f"p{self.prompt_index:03d}-d{self.direction_index}-a{self.alpha:+g}-{span}"


def sweep_cells(n_prompts: int, directions: Sequence[Direction], alphas: Sequence[float],
                t_ranges: Sequence[tuple[float, float] | None], conditioning: Sequence[bool]) -> list[SweepCell]:
    """Every cell: per prompt a plain reference, then each direction x alpha x t-range (one t-range for
    conditioning-site directions such as the speaker-embedding baseline)."""
    if not alphas:
        raise BadInputError("a sweep needs at least one alpha")
    cells = []
    for p in range(n_prompts):
        cells.append(SweepCell(p, None, 0.0, None))
        for d, _ in enumerate(directions):
            spans = [None] if conditioning[d] else list(t_ranges or [None])
            cells += [SweepCell(p, d, float(a), span) for a in alphas for span in spans]
    return cells


def sweep(session: DenoiserSession, requests: Sequence[DenoiseRequest], directions: Sequence[Direction],
          alphas: Sequence[float], t_ranges: Sequence[tuple[float, float] | None], settings: SamplerSettings,
          out_dir: Path, on_cell: Callable[[], None] | None = None, on_stale: Callable[[str], None] | None = None,
          policy: str = "recompute") -> dict[str, Any]:
    """Run every cell into `out_dir/cells/<id>/` (cells finished under the same config are reused on restart,
    others recomputed or refused: core/fingerprint.py); write rows.jsonl.

    The directions are saved beside the cells (`directions/d<i>.safetensors`) so the sweep can be replayed.

    Each row names the edited audio, the plain reference audio of the same prompt and seed, and the text, so
    the eval harness can score speaker similarity / identity shift against the reference, WER against the
    text, and F0.
    """
    if not requests:
        raise BadInputError("a sweep needs at least one prompt")
    for direction in directions:
        direction.check_fits(session)
    out_dir = Path(out_dir)
    conditioning = [session.is_conditioning(d.site) for d in directions]
    cells = sweep_cells(len(requests), directions, alphas, t_ranges, conditioning)
    configs = {c.cell_id: _cell_config(session, c, requests, directions, settings) for c in cells}
    if check_policy(policy) == "refuse":  # before anything in out_dir is overwritten
        for cell_id, config in configs.items():
            finished_cell(out_dir / "cells" / cell_id, config, (), policy)
    write_json(out_dir / "sweep.json", {
        "model": session.model, "settings": settings.to_json(), "alphas": list(alphas),
        "t_ranges": [list(t) if t else None for t in t_ranges], "requests": [r.to_json() for r in requests],
        "directions": [{"site": d.site, "kind": d.kind, "per_step": d.per_step, "info": d.info,
                        "file": str(d.save(out_dir / "directions" / f"d{i}.safetensors").relative_to(out_dir))}
                       for i, d in enumerate(directions)],
        "cells": [c.cell_id for c in cells]})
    skipped: list[dict[str, str]] = []
    rows: list[dict[str, Any]] = []
    started = time.perf_counter()
    for cell in cells:
        cell_dir = out_dir / "cells" / cell.cell_id
        if finished_cell(cell_dir, configs[cell.cell_id], ("audio.wav", "mel.npy"), policy, on_stale) is None:
            try:
                direction = directions[cell.direction_index] if cell.direction_index is not None else None
                run = edit(session, requests[cell.prompt_index], settings, direction, cell.alpha, cell.t_range)
                write_run(cell_dir, session, run, {"command": "hspace sweep", "cell": _cell_json(cell, directions),
                                                   **stamp(configs[cell.cell_id])})
            except TTSInterpError as exc:
                skipped.append({"cell": cell.cell_id, "reason": str(exc)})
                if on_cell is not None:
                    on_cell()
                continue
        rows.append(_row(out_dir, cell, requests, directions, session))
        _write_rows(out_dir / "rows.jsonl", rows)
        if on_cell is not None:
            on_cell()
    summary = {"command": "hspace sweep", "cells": len(cells), "finished": len(rows), "skipped": skipped,
               "rows": "rows.jsonl", "seconds": round(time.perf_counter() - started, 2)}
    write_result(out_dir, {**json.loads((out_dir / "sweep.json").read_text()), **summary})
    return summary


def _cell_config(session: DenoiserSession, cell: SweepCell, requests: Sequence[DenoiseRequest],
                 directions: Sequence[Direction], settings: SamplerSettings) -> dict[str, Any]:
    """Everything a cell's audio depends on: weights, request (and the reference clip's bytes), settings, the
    cell and its direction's vectors."""
    request = requests[cell.prompt_index]
    direction = directions[cell.direction_index] if cell.direction_index is not None else None
    return {"command": "hspace sweep", "weights": weights_provenance(session.model, session.adapter.checkpoint),
            "request": request.to_json(), "settings": settings.to_json(), "cell": asdict(cell),
            "ref_audio_sha256": content_hash(request.ref_audio) if request.ref_audio else None,
            "direction": None if direction is None else {
                "site": direction.site, "mean_norm": direction.mean_norm, "per_step": direction.per_step,
                "timesteps": list(direction.timesteps),
                "vectors_sha256": hashlib.sha256(direction.vectors.float().numpy().tobytes()).hexdigest()}}


def _cell_json(cell: SweepCell, directions: Sequence[Direction]) -> dict[str, Any]:
    data = asdict(cell) | {"cell_id": cell.cell_id}
    if cell.direction_index is not None:
        d = directions[cell.direction_index]
        data |= {"site": d.site, "kind": d.kind, "method": "speaker_embedding" if d.site == "speaker_embedding"
                 else "hspace", "mean_norm": d.mean_norm}
    return data


def _row(out_dir: Path, cell: SweepCell, requests: Sequence[DenoiseRequest], directions: Sequence[Direction],
         session: DenoiserSession) -> dict[str, Any]:
    request = requests[cell.prompt_index]
    reference = SweepCell(cell.prompt_index, None, 0.0, None)
    return {"model": session.model, **_cell_json(cell, directions), "text": request.text,
            "speaker": request.speaker, "ref_audio": request.ref_audio,
            "audio": str(Path("cells") / cell.cell_id / "audio.wav"),
            "reference_audio": str(Path("cells") / reference.cell_id / "audio.wav")}


def _write_rows(path: Path, rows: list[dict[str, Any]]) -> None:
    tmp = path.with_suffix(".jsonl.tmp")
    tmp.write_text("".join(json.dumps(r) + "\n" for r in rows))
    tmp.replace(path)
