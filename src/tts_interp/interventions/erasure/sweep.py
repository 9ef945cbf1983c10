"""`erase apply`: generate with an eraser at a site, over a sweep of eraser x site x alpha x prompt.

Layout of OUT: plain/<run>/ (each prompt generated plainly: the attackers' original speech), cells/<method>/
<site>/alpha<a>/<run>/ (audio.wav, codes.npy, result.json exactly as `generate` writes them, with the erasure
recorded), cells.csv, clips.jsonl (one row per clip: id, audio, text, speaker = the voice, label, method, site,
alpha, text_index; read by `erase score`), manifest.jsonl (id, audio, text, voice, condition, reference = the
prompt's plain run: `tts-interp eval --scorers asr,attackers` on it gives `erase score`'s table) and result.json;
paths relative to OUT.
Everything is validated before the first generation; the tables are rewritten after each cell, and a rerun
into the same OUT reuses a run only if it was made under exactly the same configuration (weights, prompt,
settings, eraser content, site, alpha: core/fingerprint.py); any other is recomputed or refused.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tts_interp import __version__
from tts_interp.core.errors import BadInputError, UnknownNameError
from tts_interp.core.fingerprint import (
    adapter_weights,
    check_policy,
    content_hash,
    finished_cell,
    stamp,
)
from tts_interp.core.protocol import protocol_of
from tts_interp.core.results import write_csv, write_jsonl, write_result
from tts_interp.interventions.erasure.eraser import ERASER_METHODS, Eraser, check_method, load_eraser
from tts_interp.interventions.erasure.fit import LabelledRun
from tts_interp.interventions.erasure.runs import check_prompt, render
from tts_interp.interventions.generation import RunConfig
from tts_interp.interventions.running import run_length
from tts_interp.interventions.steering.writes import parse_alphas
from tts_interp.tracing.selection import Selection

SITE_JOIN = "+"  # `a+b`: one cell erases at sites a and b together


@dataclass(frozen=True)
class EraseCell:
    """One erased generation: eraser `method` at `site` (a site, or sites joined by `+`, erased together) with
    strength `alpha`, on prompt number `run`."""

    method: str
    site: str
    alpha: float
    run: int

    @property
    def sites(self) -> list[str]:
        return self.site.split(SITE_JOIN)

    @property
    def path(self) -> str:
        return f"cells/{self.method}/{self.site}/alpha{self.alpha:g}/run{self.run:03d}"


@dataclass
class ErasePlan:
    """A validated sweep: erasers by method, sites (or `+` groups), alphas, the prompts (with voice and label) and
    the family's run settings (seed, decoding)."""

    model: str
    erasers: dict[str, Eraser]
    eraser_files: dict[str, Path]
    sites: list[str]
    alphas: list[float]
    runs: list[LabelledRun]
    settings: Any
    selection: Selection
    device: str = "auto"
    dtype: str = "float32"

    @property
    def cells(self) -> list[EraseCell]:
        return [EraseCell(m, s, a, r) for m in self.erasers for s in self.sites for a in self.alphas
                for r in range(len(self.runs))]

    @property
    def generations(self) -> int:
        return len(self.runs) + len(self.cells)

    def config(self, run: int) -> RunConfig:
        return RunConfig(self.model, self.runs[run].request, self.settings, self.device, self.dtype)


def eraser_files(path: Path, methods: Sequence[str]) -> dict[str, Path]:
    """`path` is one eraser file, or an `erase fit` directory holding one file per method."""
    path = Path(path)
    if path.is_file():
        return {load_eraser(path).method: path}
    for method in methods:
        check_method(method)
    files = {m: path / f"{m}.safetensors" for m in methods}
    missing = [str(f) for f in files.values() if not f.is_file()]
    if missing:
        raise BadInputError(f"no eraser file {missing[0]}: give an eraser file or an `erase fit` output directory")
    return files


def plan_erase_sweep(session: Any, eraser_path: Path, runs: Sequence[LabelledRun], alphas: Sequence[float | str],
                     settings: Any, sites: Sequence[str] = (), methods: Sequence[str] = ERASER_METHODS,
                     selection: Selection | None = None, device: str = "auto", dtype: str = "float32") -> ErasePlan:
    """Validate a sweep: erasers fit this model and sites, alphas in [0, 1], prompts prepare, segments exist.
    `sites` are the eraser's sites or `+`-joined groups of them (default: each of its sites alone)."""
    adapter = session.adapter
    selection = selection or Selection()
    if not runs:
        raise BadInputError("no prompts to generate: give voices and texts")
    alpha_list = parse_alphas(alphas)
    bad = [a for a in alpha_list if not 0.0 <= a <= 1.0]
    if bad:
        raise BadInputError(f"erasure strength {bad[0]:g} is outside [0, 1] (0 = no edit, 1 = full erasure)")
    files = eraser_files(eraser_path, methods)
    singles = [s for group in sites for s in group.split(SITE_JOIN)]
    erasers = {m: load_eraser(f, adapter.model_id, singles) for m, f in files.items()}
    site_list = list(sites) or list(next(iter(erasers.values())).sites)
    for eraser in erasers.values():
        for site in (s for group in site_list for s in group.split(SITE_JOIN)):
            eraser.site(site)
            if site not in adapter.sites():
                raise UnknownNameError("site", site, list(adapter.sites()))
    shared = sorted({r.voice for r in runs if r.role == "attacker"} & {r.voice for r in runs if r.role != "attacker"})
    if shared:
        raise BadInputError(f"attacker voice {shared[0]!r} is also an evaluated voice: the semi-informed attacker's "
                            "voices must be disjoint from the voices under attack")
    for run in runs:
        check_prompt(session, run.request, selection)
    return ErasePlan(adapter.model_id, erasers, files, site_list, alpha_list, list(runs), settings, selection,
                     device, dtype)


def _spec(plan: ErasePlan, cell: EraseCell, digests: dict[str, str]) -> dict[str, Any]:
    """What a cell's erasure is: eraser file and its content, site, strength, gating."""
    return {"method": cell.method, "site": cell.site, "alpha": cell.alpha, "selection": plan.selection.to_json(),
            "eraser": str(plan.eraser_files[cell.method]), "eraser_sha256": digests[cell.method],
            "label": plan.erasers[cell.method].label}


def _run_config(plan: ErasePlan, run: int, weights: dict[str, Any], erasure: dict[str, Any] | None) -> dict[str, Any]:
    """Everything a run's audio depends on (its cell identity): weights, the run config, the erasure if any."""
    return {"command": "erase apply", "weights": weights, "run": plan.config(run).to_json(), "erasure": erasure}


def _text_index(runs: Sequence[LabelledRun]) -> list[int]:
    """Each run's text as an index into the sorted texts of its voice (enrolment vs trial split)."""
    return [sorted({x.request.text for x in runs if x.voice == r.voice}).index(r.request.text) for r in runs]


def _payload(session: Any, plan: ErasePlan, digests: dict[str, str], weights: dict[str, Any]) -> dict[str, Any]:
    """The sweep's result.json: model, erasers (with their fit set and the held-out protocol of the evaluated
    voices against it), sites, alphas, runs, settings and weights."""
    fits = {m: e.fit_set for m, e in plan.erasers.items()}
    evaluated = [r for r in plan.runs if r.role == "evaluated"]
    held_out = {m: protocol_of(fits[m], [r.voice for r in evaluated], [r.request.text for r in evaluated])
                for m in plan.erasers}
    return {"command": "erase apply", "tts_interp_version": __version__, "model": session.adapter.describe(),
            "erasers": {m: {"path": str(f), "sha256": digests[m], "label": plan.erasers[m].label,
                            "classes": plan.erasers[m].classes, "rank": plan.erasers[m].info.get("rank"),
                            "fit": fits[m].to_json() if fits[m] else None, **held_out[m]}
                        for m, f in plan.eraser_files.items()},
            "protocol": sorted({h["protocol"] for h in held_out.values()}),
            "attacker_voices": sorted({r.voice for r in plan.runs if r.role == "attacker"}),
            "sites": plan.sites, "alphas": plan.alphas, "selection": plan.selection.to_json(),
            "runs": [r.to_json() for r in plan.runs], "settings": plan.settings.to_json(), "weights": weights,
            "alpha_unit": "x -> x - alpha * P (x - centre): 0 = no edit, 1 = the full eraser",
            "files": {"cells": "cells.csv", "clips": "clips.jsonl", "manifest": "manifest.jsonl", "plain": "plain/"}}


def run_erase_sweep(session: Any, plan: ErasePlan, out_dir: Path,
                    advance: Callable[[int], None] | None = None, on_stale: Callable[[str], None] | None = None,
                    policy: str = "recompute") -> dict[str, Any]:
    """Generate every prompt plainly, then every cell; `advance(1)` after each (`plan.generations` in all).

    A run already in `out_dir` is reused only if made under this exact configuration; otherwise it is
    recomputed (`on_stale` says so) or, with policy "refuse", the sweep stops before writing anything.
    """
    out_dir = Path(out_dir)
    advance = advance or (lambda n: None)
    digests = {m: content_hash(f) for m, f in plan.eraser_files.items()}
    weights = adapter_weights(session.adapter)
    todo = [(f"plain/run{run:03d}", run, None, _run_config(plan, run, weights, None)) for run in range(len(plan.runs))]
    todo += [(cell.path, cell.run, cell, _run_config(plan, cell.run, weights, _spec(plan, cell, digests)))
             for cell in plan.cells]
    if check_policy(policy) == "refuse":  # refuse before anything in out_dir is overwritten
        for rel, _, _, config in todo:
            finished_cell(out_dir / rel, config, (), policy)
    index = _text_index(plan.runs)
    base = _payload(session, plan, digests, weights)
    fits = {m: e["fit"] for m, e in base["erasers"].items()}
    clips: list[dict[str, Any]] = []
    manifest: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []

    def record(rel: str, run: int, method: str, site: str | None, alpha: float | None, result: dict) -> None:
        voice = plan.runs[run]
        clip_id, audio = rel.replace("/", ":"), f"{rel}/audio.wav"
        clips.append({"id": clip_id, "audio": audio, "text": voice.request.text, "speaker": voice.voice,
                      "label": voice.label, "method": method, "site": site, "alpha": alpha, "text_index": index[run],
                      "role": voice.role})
        condition = {} if site is None else {"condition": {"method": method, "site": site, "alpha": alpha}}
        fit = {"fit": fits[method]} if site is not None and fits[method] else {}
        manifest.append({"id": clip_id, "audio": audio, "text": voice.request.text, "voice": voice.voice,
                         "reference": [f"plain/run{run:03d}/audio.wav"], "role": voice.role, **condition, **fit})
        frames, seconds = run_length(result)
        rows.append({"id": rel, "method": method, "site": site, "alpha": alpha, "run": run, "voice": voice.voice,
                     "frames": frames, "audio_seconds": seconds})
        write_csv(out_dir / "cells.csv", rows)
        write_jsonl(out_dir / "clips.jsonl", clips)
        write_jsonl(out_dir / "manifest.jsonl", manifest)
        done = len(rows) == plan.generations
        write_result(out_dir, {**base, "status": "complete" if done else f"running: {len(rows)} of "
                                                                         f"{plan.generations}"})
        advance(1)

    for rel, run, cell, config in todo:
        result = finished_cell(out_dir / rel, config, ("audio.wav",), policy, on_stale)
        if result is None:
            writes = plan.erasers[cell.method].writes(cell.sites, cell.alpha, plan.selection) if cell else []
            result = render(session, plan.config(run), out_dir / rel, writes,
                            extra={"erasure": config["erasure"], **stamp(config)})
        if cell is None:
            record(rel, run, "plain", None, None, result)
        else:
            record(rel, run, cell.method, cell.site, cell.alpha, result)
    return {**base, "status": "complete", "cells": rows}
