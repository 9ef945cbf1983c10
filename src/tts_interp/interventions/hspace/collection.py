"""Collecting h-space: sample labelled utterances while reading a site at every solver step.

Each utterance is summarised by its time-mean per step, and the run by the mean row norm (alpha's unit); every
row can be streamed to a DiskStore for later analysis.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors.torch import save_file

from tts_interp.core.errors import BadInputError
from tts_interp.core.results import write_json
from tts_interp.interventions.session import Session
from tts_interp.models.denoising.settings import DenoiseRequest, SamplerSettings
from tts_interp.tracing.engine import Read
from tts_interp.tracing.selection import Selection
from tts_interp.tracing.store import DiskStore, MemoryStore


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


def collect(session: Session, items: Sequence[LabelledRequest], settings: SamplerSettings,
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
        run = session.adapter.run(session.engine, prompt, settings, reads=[Read(site, selection)], store=store)
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
