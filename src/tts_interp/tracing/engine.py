"""Running a model call under an nnsight trace with reads and writes at named sites.

Every read or write resolves, through the site's clock, to events: (module, occurrence, rows). The events
are sorted into the order the model executes them and served one after another by a single nnsight worker,
each pinned to its occurrence with `tracer.iter[...]`. A call with no reads and no writes runs untraced.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import torch
from nnsight import NNsight

from tts_interp.core.errors import BadInputError
from tts_interp.tracing.clock import Positions, Row, RunShape, Target, targets_for
from tts_interp.tracing.ops import Write
from tts_interp.tracing.selection import Selection
from tts_interp.tracing.sites import resolve_site
from tts_interp.tracing.spec import SiteSpec, TracedCall
from tts_interp.tracing.store import MemoryStore


@dataclass(frozen=True)
class Read:
    """Save the activation of `site` on `selection` into the run's store."""

    site: str
    selection: Selection = field(default_factory=Selection)


class Store(Protocol):
    def add(self, site: str, values: torch.Tensor, rows: Sequence[Row]) -> None:
        """Keep a copy of `values` (the live activation: the store must copy it) with one label per row."""


@dataclass
class _Action:
    target: Target
    read: bool
    write: Write | None
    cursor: list[int]  # rows of the write consumed so far, shared across the write's events


@dataclass
class _Event:
    spec: SiteSpec
    occurrence: int
    key: tuple
    actions: list[_Action]


def _all_rows(act: torch.Tensor, spec: SiteSpec, batch: int) -> torch.Tensor:
    """Every row of batch element `batch` as (n, dim): a vector is one row; channels-first rows run along T."""
    view = act[batch]
    if view.ndim == 1:
        return view[None]
    if spec.channels_first:
        return view.movedim(-1, 0).reshape(view.shape[-1], -1)
    return view


def _set_all_rows(act: torch.Tensor, spec: SiteSpec, batch: int, rows: torch.Tensor) -> None:
    """Write (n, dim) rows back into batch element `batch`, undoing `_all_rows`' layout."""
    view = act[batch]
    if view.ndim == 1:
        act[batch] = rows[0]
    elif spec.channels_first:
        act[batch] = rows.reshape(view.shape[-1], *view.shape[:-1]).movedim(0, -1)
    else:
        act[batch] = rows


def _serve(event: _Event, output: Any, store: Store | None) -> None:
    """Apply an event's writes and reads to the live activation (called inside the nnsight worker)."""
    act = output if event.spec.output_index is None else output[event.spec.output_index]
    for action in event.actions:
        target = action.target
        if target.seq is None:  # every position of one batch element, labelled from the template row
            if action.write is not None:
                rows = _all_rows(act, event.spec, target.batch[0])
                _set_all_rows(act, event.spec, target.batch[0], action.write.apply(rows, action.cursor[0]))
                action.cursor[0] += rows.shape[0]
            if action.read and store is not None:  # the store copies what it keeps
                rows = _all_rows(act, event.spec, target.batch[0]).detach()
                store.add(event.spec.name, rows, Positions(target.rows[0], rows.shape[0]))
            continue
        batch = torch.tensor(target.batch, device=act.device)
        seq = torch.tensor(target.seq, device=act.device)
        index = (batch, slice(None), seq) if event.spec.channels_first else (batch, seq)  # (B, C, T): rows on T
        if action.write is not None:
            rows = act[index]
            act[index] = action.write.apply(rows, action.cursor[0])
            action.cursor[0] += rows.shape[0]
        if action.read and store is not None:
            store.add(event.spec.name, act[index].detach(), target.rows)


class Engine:
    """Wraps an adapter's modules in nnsight once and runs traced calls on them."""

    def __init__(self) -> None:
        self._envoys: dict[int, NNsight] = {}

    def envoy(self, root: torch.nn.Module) -> NNsight:
        if id(root) not in self._envoys:
            self._envoys[id(root)] = NNsight(root)
        return self._envoys[id(root)]

    def _events(self, sites: dict[str, SiteSpec], shape: RunShape, reads: list[tuple[SiteSpec, Selection]],
                writes: list[tuple[SiteSpec, Write]]) -> list[_Event]:
        events: dict[tuple[str, int], _Event] = {}
        phases = shape.phases

        def add(spec: SiteSpec, selection: Selection, read: bool, write: Write | None) -> None:
            cursor = [0]
            for target in targets_for(spec.clock, selection, shape):
                key = (spec.name, target.occurrence)
                if key not in events:
                    order = (target.tick, phases[spec.clock], target.occurrence, spec.order)
                    events[key] = _Event(spec, target.occurrence, order, [])
                events[key].actions.append(_Action(target, read, write, cursor))

        for spec, write in writes:
            add(spec, write.selection, False, write)
        for spec, selection in reads:
            add(spec, selection, True, None)
        return sorted(events.values(), key=lambda e: e.key)

    def run_named(self, call: TracedCall, sites: dict[str, SiteSpec], shape: RunShape, reads: Sequence[Read],
                  writes: Sequence[Write], store: Any = None) -> tuple[Any, Any]:
        """Run `call` with reads and writes given by site name (patterns allowed); the reads go to `store` (a
        MemoryStore when none is given), which is closed after the run. Returns (result, store or None)."""
        traced_reads = [(spec, read.selection) for read in reads for spec in resolve_site(sites, read.site)]
        traced_writes = [(spec, write) for write in writes for spec in resolve_site(sites, write.site)]
        if traced_reads and store is None:
            store = MemoryStore()
        result = self.run(call, sites, shape, traced_reads, traced_writes, store)
        if store is not None:
            store.close()
        return result, store

    def run(self, call: TracedCall, sites: dict[str, SiteSpec], shape: RunShape,
            reads: list[tuple[SiteSpec, Selection]], writes: list[tuple[SiteSpec, Write]],
            store: Store | None) -> Any:
        """Run `call` with the given reads/writes; return `call.finish(result)`."""
        for spec, write in writes:
            if write.value.shape[-1] != spec.dim:
                raise BadInputError(f"the vector written at {spec.name} has size {write.value.shape[-1]}; the site "
                                    f"has {spec.dim}")
        events = self._events(sites, shape, reads, writes)
        if not events:
            return call.finish(call.fn(**call.kwargs))
        envoy = self.envoy(call.root)
        modules = {e.spec.module_path: _module_envoy(envoy, e.spec.module_path) for e in events}
        returned: list[Any] = []

        def traced_fn(**kwargs: Any) -> Any:
            returned.append(call.fn(**kwargs))
            return returned[-1]

        with warnings.catch_warnings():
            # A generation that stops (EOS) before a selected frame leaves that event unserved: nnsight warns
            # and ends the worker; the rows that were reached are already in the store.
            warnings.filterwarnings("ignore", message=".*was never reached.*")
            with envoy.trace(fn=traced_fn, **call.kwargs) as tracer:
                for event in events:
                    module = modules[event.spec.module_path]
                    for _ in tracer.iter[event.occurrence]:
                        _serve(event, module.output, store)
        if not returned:
            raise RuntimeError("the traced call did not return")
        return call.finish(returned[0])


def _module_envoy(envoy: NNsight, path: str) -> Any:
    """Walk an attribute path like `model.layers.3.mlp` from the root envoy."""
    node: Any = envoy
    for part in path.split("."):
        node = node[int(part)] if part.isdigit() else getattr(node, part)
    return node
