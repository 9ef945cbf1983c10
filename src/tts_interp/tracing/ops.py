"""Writes as data: add, replace or project out a direction at a site, on a selection of rows.

A Write is small and serialisable (the site, the selection, the operation, its strength and the tensor it
uses), so it can be saved beside results and replayed: a run is model + prompt + writes + seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import torch

from tts_interp.core.errors import BadInputError, UnknownNameError
from tts_interp.tracing.selection import Selection

OPERATIONS = ("add", "replace", "project_out")


@dataclass
class Write:
    """Edit rows of `site`'s activation.

    - `add`: rows += alpha * value (value a vector (H,) or one row per selected row (n, H))
    - `replace`: rows = value (a vector, or one row per selected row, consumed in run order)
    - `project_out`: rows -= alpha * (rows . u) u with u = value / |value| (alpha 1 removes the component)
    """

    site: str
    op: str
    value: torch.Tensor
    selection: Selection = field(default_factory=Selection)
    alpha: float = 1.0

    def __post_init__(self) -> None:
        if self.op not in OPERATIONS:
            raise UnknownNameError("operation", self.op, OPERATIONS)
        if not math.isfinite(self.alpha):
            raise BadInputError(f"alpha must be a finite number, got {self.alpha}")
        self.value = torch.as_tensor(self.value).detach()
        if not torch.isfinite(self.value).all():
            raise BadInputError(f"the vector written at {self.site} contains NaN or infinite values")
        if self.value.ndim not in (1, 2):
            raise BadInputError(f"a write value must be a vector (H,) or rows (n, H), got shape "
                                f"{tuple(self.value.shape)}")
        if self.op == "project_out" and (self.value.ndim != 1 or float(self.value.norm()) == 0.0):
            raise BadInputError(f"project_out at {self.site} needs one non-zero direction vector")

    def apply(self, rows: torch.Tensor, cursor: int) -> torch.Tensor:
        """Return the edited rows (n, H); `cursor` is how many selected rows earlier occurrences consumed."""
        value = self.value.to(device=rows.device, dtype=torch.float32)
        if value.shape[-1] != rows.shape[-1]:
            raise BadInputError(f"the vector written at {self.site} has size {value.shape[-1]}, the site has "
                                f"{rows.shape[-1]}")
        if value.ndim == 2:
            if cursor + rows.shape[0] > value.shape[0]:
                raise BadInputError(f"the write at {self.site} has {value.shape[0]} rows but the selection "
                                    f"reaches more than that")
            value = value[cursor:cursor + rows.shape[0]]
        work = rows.float()
        if self.op == "add":
            out = work + self.alpha * value
        elif self.op == "replace":
            out = value.expand_as(work)
        else:
            unit = value / value.norm()
            out = work - self.alpha * (work @ unit)[:, None] * unit
        return out.to(rows.dtype)

    def to_json(self) -> dict[str, Any]:
        return {"site": self.site, "op": self.op, "alpha": self.alpha, "selection": self.selection.to_json(),
                "value_shape": list(self.value.shape)}
