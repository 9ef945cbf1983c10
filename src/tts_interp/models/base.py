"""The adapter protocol every model family implements, and the small data types it speaks in.

An adapter hides every model-specific quirk: how to load, how a prompt is laid out, how to generate and to
teacher-force, which modules are the named sites and how their calls map onto the model's clock (frames and
codebooks for an autoregressive talker, solver steps for a denoiser). The tracing engine only sees this.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import torch


@dataclass(frozen=True)
class SiteSpec:
    """A named place an intervention can read or write.

    `module_path` is the attribute path from the traced root module (e.g. `model.layers.3`); `output_index`
    is the element of a tuple output that holds the activation (None when the output is the tensor itself);
    `clock` names how the module's calls map to frames (see tracing/clock.py); `order` ranks sites of one
    clock tick in execution order; `dim` is the activation's last dimension. A `channels_first` activation
    (B, C, ..., T) (convolutional U-Nets, channels-first text encoders) has its rows along the last axis: row
    i is `act[b, ..., i]` flattened, so `dim` is C times the sizes between.
    """

    name: str
    module_path: str
    clock: str
    order: int
    dim: int
    output_index: int | None = None
    description: str = ""
    channels_first: bool = False


@dataclass(frozen=True)
class Segment:
    """A named run of prompt positions `[start, stop)`."""

    name: str
    start: int
    stop: int

    def __len__(self) -> int:
        return self.stop - self.start


@dataclass(frozen=True)
class SegmentMap:
    """Every position of a prompt, labelled; `groups` name unions of segments (e.g. codec_prefix)."""

    segments: tuple[Segment, ...]
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def prompt_length(self) -> int:
        return self.segments[-1].stop if self.segments else 0

    def names(self) -> list[str]:
        return [s.name for s in self.segments] + list(self.groups)

    def to_json(self) -> dict[str, Any]:
        return {"segments": [{"name": s.name, "start": s.start, "stop": s.stop} for s in self.segments],
                "groups": {k: list(v) for k, v in self.groups.items()}, "prompt_length": self.prompt_length}


@dataclass
class TracedCall:
    """A call for the tracing engine to run under nnsight: `fn(**kwargs)` on the module tree of `root`.

    `finish` turns fn's raw return value into the adapter's result object.
    """

    root: torch.nn.Module
    fn: Callable[..., Any]
    kwargs: dict[str, Any]
    finish: Callable[[Any], Any]


class ModelAdapter(Protocol):
    """What the engine needs from a model family."""

    model_id: str
    family: str

    def sites(self) -> dict[str, SiteSpec]:
        """Every named site of this model, by name."""
        ...

    def describe(self) -> dict[str, Any]:
        """A JSON-able description (family, variant, sizes, dtype, device) for result files."""
        ...
