"""Writes as data: add, replace, project out a direction, or apply an affine edit at a site, on a selection of rows.

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

OPERATIONS = ("add", "replace", "project_out", "affine")


@dataclass
class Write:
    """Edit rows of `site`'s activation.

    - `add`: rows += alpha * value (value a vector (H,) or one row per selected row (n, H))
    - `replace`: rows = value (a vector, or one row per selected row, consumed in run order)
    - `project_out`: rows -= alpha * (rows . u) u with u = value / |value| (alpha 1 removes the component)
    - `affine`: rows -= alpha * P (rows - value) with P = left @ right (left (H, k), right (k, H)) and value the
      centre (H,): alpha 1 is a full concept eraser (LEACE, an orthogonal projection), alpha 0 no edit
    """

    site: str
    op: str
    value: torch.Tensor
    selection: Selection = field(default_factory=Selection)
    alpha: float = 1.0
    left: torch.Tensor | None = None
    right: torch.Tensor | None = None

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
        if self.op == "affine":
            self._check_factors()

    def _check_factors(self) -> None:
        """An affine edit needs a centre (H,), left (H, k) and right (k, H), all finite."""
        if self.left is None or self.right is None or self.value.ndim != 1:
            raise BadInputError(f"an affine edit at {self.site} needs a centre vector and both factors left, right")
        self.left, self.right = self.left.detach().float(), self.right.detach().float()
        size = self.value.shape[0]
        if self.left.ndim != 2 or self.right.ndim != 2 or self.left.shape[0] != size or \
                self.right.shape[1] != size or self.left.shape[1] != self.right.shape[0]:
            raise BadInputError(f"affine edit at {self.site}: factors {tuple(self.left.shape)} and "
                                f"{tuple(self.right.shape)} do not fit a centre of size {size} (need (H, k), (k, H))")
        if not (torch.isfinite(self.left).all() and torch.isfinite(self.right).all()):
            raise BadInputError(f"the affine edit at {self.site} contains NaN or infinite values")

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
        elif self.op == "affine":
            assert self.left is not None and self.right is not None
            left, right = self.left.to(rows.device), self.right.to(rows.device)
            out = work - self.alpha * ((work - value) @ right.T) @ left.T
        else:
            unit = value / value.norm()
            out = work - self.alpha * (work @ unit)[:, None] * unit
        return out.to(rows.dtype)

    def to_json(self) -> dict[str, Any]:
        return {"site": self.site, "op": self.op, "alpha": self.alpha, "selection": self.selection.to_json(),
                "value_shape": list(self.value.shape),
                **({"rank": int(self.right.shape[0])} if self.right is not None else {})}
