"""What `Model.generate(edits=[...])` takes: each edit becomes tracing writes (tracing/ops.py) for one model.

- `Steer(direction, alpha)`: add alpha x the site's mean row norm along the unit direction at each of its sites
  (the engine's one unit of alpha: the norm of the rows the direction was made from);
- `Ablate(site)`: replace every row of a site with zeros, or with a given vector (a mean ablation);
- `Erase(eraser, alpha)`: a fitted concept eraser (LEACE or mean projection) at its sites, 0 = none, 1 = full;
- `Patch(source, sites)`: the rows another Run read at `sites` put in place of this run's (activation patching);
  the run is aligned to its source first where the family can (Kokoro: the source's phoneme durations).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tts_interp.core.errors import BadInputError


@dataclass(frozen=True)
class Steer:
    """Steer along a direction at its sites (or at `sites`, a subset); alpha 0 is the plain run."""

    direction: Any
    alpha: float
    sites: Sequence[str] | None = None
    op: str = "add"

    def writes(self, model: Any) -> list[Any]:
        """The tracing writes of this edit on `model` (one per site)."""
        from tts_interp.interventions.steering.writes import direction_scale, site_writes
        from tts_interp.tracing.selection import Selection

        sites = list(self.sites or self.direction.sites)
        _check_model(self.direction.model, model, "direction")
        return site_writes(self.direction, sites, self.alpha, self.op, Selection(),
                           direction_scale(self.direction, sites))


@dataclass(frozen=True)
class Ablate:
    """Replace every row of `site` with `value` (H,), zeros by default."""

    site: str
    value: Any = None

    def writes(self, model: Any) -> list[Any]:
        """The one write that replaces the site's rows."""
        import torch

        from tts_interp.tracing.ops import Write

        (name,) = model.sites(self.site) or [self.site]
        dim = model.session.site_dim(name)
        value = torch.zeros(dim) if self.value is None else torch.as_tensor(self.value, dtype=torch.float32)
        if value.shape != (dim,):
            raise BadInputError(f"ablation value at {name} has shape {tuple(value.shape)}; the site's rows have {dim}")
        return [Write(name, "replace", value)]


@dataclass(frozen=True)
class Erase:
    """Apply a fitted eraser (an Eraser or its file) at its sites (or `sites`) with strength alpha in [0, 1]."""

    eraser: Any
    alpha: float = 1.0
    sites: Sequence[str] | None = None

    def writes(self, model: Any) -> list[Any]:
        """The eraser's affine writes at its sites, at strength alpha."""
        from tts_interp.interventions.erasure.eraser import load_eraser

        eraser = load_eraser(Path(self.eraser), model.id) if isinstance(self.eraser, str | Path) else self.eraser
        _check_model(eraser.model, model, "eraser")
        return eraser.writes(list(self.sites or eraser.sites), self.alpha)


@dataclass(frozen=True)
class Patch:
    """Put the rows a source Run read at `sites` (default: every site it read) in place of this run's rows."""

    source: Any
    sites: Sequence[str] | None = None

    def aligned(self, model: Any, settings: Any) -> Any:
        """`settings` with the source's alignment forced (Kokoro: its durations), so both runs have the same rows."""
        _check_model(self.source.model.id, model, "patch source")
        align = getattr(model.adapter, "aligned_settings", None)
        return align(settings, self.source.raw) if align is not None else settings

    def writes(self, model: Any) -> list[Any]:
        """One `replace` write per site, of the source's rows there."""
        from tts_interp.interventions.patching.runs import replace_writes

        sites = [name for pattern in (self.sites or self.source.reads) for name in model.sites(pattern)]
        missing = [s for s in sites if s not in self.source.reads]
        if missing or not sites:
            raise BadInputError(f"the patch source read {', '.join(self.source.reads) or 'no site'}, not "
                                f"{', '.join(missing) or 'any site'}: generate it with reads= the sites to patch")
        return replace_writes(self.source.raw.store, sites)


def _check_model(made_for: str, model: Any, what: str) -> None:
    if made_for != model.id:
        raise BadInputError(f"the {what} was made on {made_for!r}, not on {model.id!r}; make one on this model")
