"""The data the tracing engine speaks in: named sites, labelled prompt segments, and a call to trace.

A model family describes its modules with these (models/<family>/), and the engine runs reads and writes over
them without knowing the family.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the types only: importing this module (e.g. from the CLI) does not load torch
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
