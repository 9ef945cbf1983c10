"""Sparse autoencoders on any site's activations: L1 (ReLU, `dictionary_learning.AutoEncoder` trained by its
`StandardTrainer`) and TopK (`AutoEncoderTopK`, `TopKTrainer`), streamed from activation shards on disk.

Inputs are scaled by one constant so that rows have mean squared norm `dim` (the convention of the TopK
paper; it makes one learning rate and L1 penalty work across sites). `SAE` wraps the library's module with
that scale, so `encode`/`decode`/`forward` speak the site's own units. Saved as safetensors + config JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from tts_interp.core.errors import UnknownNameError
from tts_interp.core.results import write_json
from tts_interp.interventions.features.shards import endless_rows, iter_rows, read_index

KINDS = ("l1", "topk")


@dataclass(frozen=True)
class SAEConfig:
    """How an SAE is trained; saved beside its weights."""

    kind: str = "topk"
    dict_size: int = 1536
    k: int = 32  # topk: active features per frame
    l1_penalty: float = 0.04  # l1: sparsity weight (on scaled inputs)
    lr: float = 1e-3
    steps: int = 2000
    batch_size: int = 512
    seed: int = 0
    site: str = ""
    model_id: str = ""


class SAE(torch.nn.Module):
    """A dictionary_learning autoencoder with the input scale folded in."""

    def __init__(self, ae: torch.nn.Module, scale: float, config: SAEConfig):
        super().__init__()
        self.ae, self.config = ae, config
        self.register_buffer("scale", torch.tensor(float(scale)))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.ae.encode(x * self.scale)

    def decode(self, f: torch.Tensor) -> torch.Tensor:
        return self.ae.decode(f) / self.scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))

    def direction(self, feature: int) -> torch.Tensor:
        """The unit-norm decoder direction of `feature` in the site's space."""
        column = self.ae.decoder.weight[:, feature]
        return column / column.norm().clamp_min(1e-12)


def _trainer(config: SAEConfig, dim: int) -> object:
    from dictionary_learning.trainers.standard import StandardTrainer
    from dictionary_learning.trainers.top_k import TopKTrainer

    warmup = max(1, min(100, config.steps // 10))
    common = {"steps": config.steps, "activation_dim": dim, "dict_size": config.dict_size, "layer": 0,
              "lm_name": config.model_id or "whisper", "lr": config.lr, "warmup_steps": warmup, "seed": config.seed,
              "device": "cpu", "submodule_name": config.site}
    if config.kind == "l1":
        return StandardTrainer(l1_penalty=config.l1_penalty, sparsity_warmup_steps=warmup, **common)
    if config.kind == "topk":
        return TopKTrainer(k=config.k, threshold_start_step=warmup, **common)
    raise UnknownNameError("SAE kind", config.kind, KINDS)


def input_scale(shard_dir: Path, rows: int = 20_000) -> float:
    """The constant that gives training rows mean squared norm `dim`."""
    total, count, dim = 0.0, 0, 1
    for batch in iter_rows(shard_dir, "train", 4096):
        total += float(batch.square().sum(1).sum())
        count += len(batch)
        dim = batch.shape[1]
        if count >= rows:
            break
    return (dim / max(total / max(count, 1), 1e-12)) ** 0.5


def train_sae(shard_dir: Path, config: SAEConfig, on_step: Callable[[int, dict], None] | None = None) -> SAE:
    """Train on the shards' training split; `on_step(step, losses)` every 100 steps."""
    index = read_index(shard_dir)
    scale = input_scale(shard_dir)
    trainer = _trainer(config, index["dim"])
    batches = endless_rows(shard_dir, config.batch_size, config.seed)
    for step in range(config.steps):
        x = next(batches) * scale
        trainer.update(step, x)
        if on_step and (step % 100 == 0 or step == config.steps - 1):
            with torch.no_grad():
                x_hat = trainer.ae(x)
            on_step(step, {"mse_scaled": float((x - x_hat).square().mean())})
    return SAE(trainer.ae.eval(), scale, config).eval()


@torch.no_grad()
def evaluate_sae(sae: SAE, shard_dir: Path, batch_size: int = 4096) -> dict:
    """Held-out fraction of variance explained, L0, dead features (never active on held-out rows)."""
    residual, total_sq, count, l0 = 0.0, 0.0, 0, 0.0
    fired = torch.zeros(sae.config.dict_size, dtype=torch.bool)
    sums = None
    for x in iter_rows(shard_dir, "heldout", batch_size):
        f = sae.encode(x)
        residual += float((x - sae.decode(f)).square().sum())
        sums = x.sum(0) if sums is None else sums + x.sum(0)
        total_sq += float(x.square().sum())
        l0 += float((f > 0).sum())
        fired |= (f > 0).any(0)
        count += len(x)
    if count == 0:
        return {"n_frames": 0, "fve": None, "l0": None, "dead_features": None}
    variance = total_sq - float(sums.square().sum()) / count  # sum of squared deviations from the mean row
    return {"n_frames": count, "fve": 1.0 - residual / variance, "l0": l0 / count,
            "dead_features": int((~fired).sum()), "dict_size": sae.config.dict_size,
            "chance_fve": 0.0, "note": "fve = 1 - SSE / sum of squared deviations from the held-out mean"}


def save_sae(sae: SAE, out_dir: Path, extra: dict | None = None) -> Path:
    """`sae.safetensors` (the library module's state + scale) and `sae.json` (config + extra)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    state = {f"ae.{k}": v.contiguous() for k, v in sae.ae.state_dict().items()} | {"scale": sae.scale}
    save_file(state, str(out_dir / "sae.safetensors"))
    write_json(out_dir / "sae.json", {"config": asdict(sae.config), **(extra or {})})
    return out_dir


def load_sae(path: Path) -> SAE:
    """Load an SAE saved by `save_sae` (a directory holding sae.safetensors and sae.json)."""
    from dictionary_learning import AutoEncoder
    from dictionary_learning.trainers.top_k import AutoEncoderTopK

    path = Path(path)
    if not (path / "sae.json").is_file():
        from tts_interp.core.errors import BadInputError

        raise BadInputError(f"{path} is not a saved SAE (sae.json and sae.safetensors expected)")
    config = SAEConfig(**json.loads((path / "sae.json").read_text())["config"])
    state = load_file(str(path / "sae.safetensors"))
    dim = state["ae.decoder.weight"].shape[0]
    ae = AutoEncoderTopK(dim, config.dict_size, config.k) if config.kind == "topk" else AutoEncoder(dim, config.dict_size)
    ae.load_state_dict({k.removeprefix("ae."): v for k, v in state.items() if k.startswith("ae.")})
    return SAE(ae.eval(), float(state["scale"]), config).eval()
