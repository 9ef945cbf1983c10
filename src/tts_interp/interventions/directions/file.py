"""The one direction file format, `tts-interp-direction/2`: safetensors tensors + one JSON header.

Tensors are named `<site>::<part>` (`vector`: (H,) pooled or (steps, H) per step; PCA adds `components`,
`explained_variance_ratio` and `mean`). The header (metadata key `tts_interp`) records what a direction is and
where it came from: model id and weights provenance, sites and their sizes, method, pooled or per step (with
the step times), the mean row norm per site (the unit of alpha), counts and the sets it was made from.

Both v1 layouts still load, upgraded on read: the talker layout (flat metadata `model`, `method`, `sites`,
`info` and `<site>::vector` tensors) and the h-space layout (a `tts_interp` JSON key and one `vectors` tensor).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from tts_interp.core.errors import BadInputError

FORMAT = "tts-interp-direction/2"
V1 = "tts-interp-direction/1"
PROVENANCE_KEYS = ("family", "variant", "checkpoint", "builtin", "dtype", "provenance")  # Kokoro: int8 build + sha


def provenance(description: dict[str, Any]) -> dict[str, Any]:
    """The weights' provenance from an adapter's `describe()`: family, variant, checkpoint, built-in or not."""
    return {k: description[k] for k in PROVENANCE_KEYS if k in description}


@dataclass
class DirectionRecord:
    """What a direction file holds: tensors by `<site>::<part>` and the header."""

    model_id: str
    method: str
    sites: list[str]
    tensors: dict[str, torch.Tensor]
    per_step: bool = False
    timesteps: list[float] = field(default_factory=list)
    scale: dict[str, float] = field(default_factory=dict)  # mean row norm per site (alpha's unit), when known
    weights: dict[str, Any] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)  # counts, sets, per-site statistics, ...

    def header(self) -> dict[str, Any]:
        dims = {site: int(self.tensors[f"{site}::vector"].shape[-1]) for site in self.sites}
        return {"format": FORMAT, "model_id": self.model_id, "weights": self.weights, "method": self.method,
                "sites": self.sites, "dims": dims, "per_step": self.per_step, "timesteps": self.timesteps,
                "scale": self.scale, "info": self.info}

    def part(self, site: str, name: str) -> torch.Tensor | None:
        return self.tensors.get(f"{site}::{name}")


def write_direction(record: DirectionRecord, path: Path) -> Path:
    """Write a direction file (v2)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.float().contiguous() for k, v in record.tensors.items()}
    save_file(tensors, str(path), metadata={"tts_interp": json.dumps(record.header(), allow_nan=True, default=str)})
    return path


def read_direction(path: Path) -> DirectionRecord:
    """Read a direction file of any version; fail in one line if it is missing or not a direction file."""
    path = Path(path)
    if not path.is_file():
        raise BadInputError(f"direction file {path} does not exist (make one with `tts-interp direction` or "
                            "`tts-interp hspace direction`)")
    try:
        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
            tensors = {key: handle.get_tensor(key) for key in handle.keys()}  # noqa: SIM118 - not a dict
    except Exception as exc:  # not safetensors at all
        raise BadInputError(f"{path} is not a safetensors direction file ({type(exc).__name__}: {exc})") from None
    header = json.loads(metadata["tts_interp"]) if "tts_interp" in metadata else metadata
    version = header.get("format")
    if version == FORMAT:
        return DirectionRecord(header["model_id"], header["method"], list(header["sites"]), tensors,
                               bool(header["per_step"]), list(header["timesteps"]), dict(header["scale"]),
                               dict(header["weights"]), dict(header["info"]))
    if version == V1 and "vectors" in tensors:  # the h-space layout
        site = header["site"]
        return DirectionRecord(header["model_id"], header["kind"], [site], {f"{site}::vector": tensors["vectors"]},
                               bool(header["per_step"]), list(header["timesteps"]),
                               {site: float(header["mean_norm"])}, {}, dict(header.get("info", {})))
    if version == V1:  # the talker layout
        return DirectionRecord(header["model"], header["method"], json.loads(header["sites"]), tensors,
                               info=json.loads(header["info"]))
    raise BadInputError(f"{path} is not a tts-interp direction file (format {version!r}, expected {FORMAT!r})")
