"""`Direction`: a direction per site from two sets of Runs (mean difference, linear probe or PCA), saved and
loaded in the engine's one direction file format (interventions/directions/file.py)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tts_interp.core.errors import BadInputError
from tts_interp.interventions.directions import direction as found
from tts_interp.interventions.directions.file import provenance


class Direction(found.Direction):
    """Directions per site (see interventions/directions/direction.py), made from Runs that read the site.

    Each run gives one row per site, the mean of its rows (`pool=True`, so a long utterance does not outweigh a
    short one), or all of its rows (`pool=False`). The fit set (the runs' texts and voices) is recorded in `info`.
    """

    @classmethod
    def mean_diff(cls, a: Sequence[Any], b: Sequence[Any], site: str | Sequence[str], pool: bool = True) -> Direction:
        """mean(A) - mean(B) at each site: points from set B towards set A."""
        return cls._fit("mean_diff", a, b, site, pool)

    @classmethod
    def probe(cls, a: Sequence[Any], b: Sequence[Any], site: str | Sequence[str], pool: bool = True) -> Direction:
        """The weight vector of a logistic-regression probe A vs B at each site (cross-validated by run)."""
        return cls._fit("probe", a, b, site, pool)

    @classmethod
    def pca(cls, a: Sequence[Any], site: str | Sequence[str], b: Sequence[Any] = (), pool: bool = True,
            n_components: int = 4) -> Direction:
        """Principal components of A's rows (with B: of both, each oriented from B towards A)."""
        return cls._fit("pca", a, b, site, pool, n_components)

    @classmethod
    def load(cls, path: str | Path, model: str | None = None) -> Direction:
        """Read a direction file (refused, in one line, when made for another `model`)."""
        return cls(**vars(found.load_direction(Path(path), model)))

    def save(self, path: str | Path) -> Path:
        """Write the direction file (format tts-interp-direction/2, with its fit set and weights); its path."""
        return found.save_direction(self, Path(path))

    @classmethod
    def _fit(cls, method: str, a: Sequence[Any], b: Sequence[Any], site: str | Sequence[str], pool: bool,
             n_components: int = 4) -> Direction:
        sites = [site] if isinstance(site, str) else list(site)
        runs = [*a, *b]
        if not a:
            raise BadInputError("set A has no runs")
        models = {r.model.id for r in runs}
        if len(models) != 1:
            raise BadInputError(f"the runs come from several models ({', '.join(sorted(models))}); use one")
        rows_a, rows_b = ({s: [_rows(r, s, pool) for r in runs_] for s in sites} for runs_ in (a, b))
        info = {"fit": {"texts": sorted({r.text for r in runs}), "voices": sorted({_voice(r) for r in runs})},
                "n_runs": {"a": len(a), "b": len(b)}, "pooled": pool}
        direction = found.compute_direction(rows_a, rows_b, method, models.pop(), n_components, info)
        direction.weights = dict(provenance(runs[0].model.adapter.describe()))
        return cls(**vars(direction))


def _rows(run: Any, site: str, pool: bool) -> Any:
    if site not in run.reads:
        raise BadInputError(f"a run did not read {site!r}; generate it with reads=[{site!r}] (it read: "
                            f"{', '.join(run.reads) or 'nothing'})")
    rows = run.activations[site].values.float()
    return rows.mean(0, keepdim=True) if pool else rows


def _voice(run: Any) -> str:
    """The voice a run speaks in, as fit sets name it: a voice or speaker name, else the instruct or clip."""
    request = run.request
    for name in ("voice", "speaker", "instruct", "ref_audio"):
        value = getattr(request, name, None)
        if value not in (None, ""):
            return str(value) if name in ("voice", "speaker") else f"{name}: {value}"
    return "default"
