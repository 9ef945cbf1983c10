"""`erase fit`: read a site over labelled runs, fit LEACE and its baselines on a train split, probe held-out rows.

Each run is one prompt with a class of the erased label (a speaker, a gender, any manifest field) and a voice.
Rows are read with the same collector as `direction`. The split holds out whole runs: for the label `speaker`
every voice keeps some texts for test (the same speakers, unseen utterances); for any other label whole voices
are held out (the label must be erased in voices the eraser never saw). The held-out probe, before and after
each eraser, is the check of LEACE's guarantee: after LEACE it should sit at chance.

Writes OUT/{leace,mean_diff,random}.safetensors, OUT/probe.csv (site x eraser) and OUT/result.json.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from tts_interp import __version__
from tts_interp.core.errors import BadInputError
from tts_interp.core.fingerprint import adapter_weights
from tts_interp.core.protocol import FitSet
from tts_interp.core.results import write_csv, write_result
from tts_interp.interventions.codebooks import probing
from tts_interp.interventions.erasure.eraser import Eraser, fit_erasers, save_eraser
from tts_interp.interventions.erasure.runs import (
    VOICE_FIELDS,
    collect,
    request_of,
    voice_attributes,
    voice_name,
)
from tts_interp.interventions.reading import rows_from
from tts_interp.tracing.selection import Selection
from tts_interp.tracing.sites import resolve_sites

PROBE_PERMUTATIONS = 200
ROUNDING_FLOOR = 1e-5  # a column whose spread is below this fraction of the site's RMS carries float32 rounding only


@dataclass(frozen=True)
class LabelledRun:
    """One run of the fitting set: its prompt (the family's request), the class of the erased label, and the voice
    it speaks in."""

    request: Any
    label: str
    voice: str
    role: str = "evaluated"  # or "attacker": the semi-informed attacker's own voice (erase apply --attacker-voices)

    def to_json(self) -> dict[str, Any]:
        return {"request": self.request.to_json(), "label": self.label, "voice": self.voice,
                **({"role": self.role} if self.role != "evaluated" else {})}


def voice_runs(session: Any, voices: Sequence[str], texts: Sequence[str], label: str,
               base: dict[str, Any] | None = None) -> list[LabelledRun]:
    """Every voice (a named speaker) x every text, with `base` voice fields (instruct, language). The label is the
    voice itself for `speaker`, else the voice's attribute in the model's voice table (e.g. Kokoro's gender)."""
    attributes = voice_attributes(session)
    runs = []
    for voice in voices:
        if label == "speaker":
            value = voice
        elif label in attributes.get(voice, {}):
            value = attributes[voice][label]
        else:
            known = sorted({k for a in attributes.values() for k in a})
            raise BadInputError(f"voice {voice!r} has no {label!r} label; labels of this model's voices: "
                                f"{', '.join(['speaker', *known])}; or give a --manifest with a {label!r} field")
        fields = {**(base or {}), "speaker": voice}
        runs += [LabelledRun(request_of(session, text, fields), value, voice) for text in texts]
    return runs


def manifest_runs(session: Any, path: Path, label: str) -> list[LabelledRun]:
    """Labelled prompts or reference clips from a JSONL manifest: `text`, voice fields (speaker, instruct,
    ref_audio, ref_text, language; paths relative to the manifest), an optional `voice` name, plus the label's
    field (not needed for `speaker`, which is the row's voice)."""
    path = Path(path)
    if not path.is_file():
        raise BadInputError(f"manifest {path} does not exist")
    runs = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadInputError(f"manifest {path} line {number} is not JSON: {exc.msg}") from None
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            raise BadInputError(f"manifest {path} line {number}: each row needs a 'text' string")
        fields = {k: row[k] for k in VOICE_FIELDS if row.get(k) is not None}
        if "ref_audio" in fields and not Path(fields["ref_audio"]).is_absolute():
            fields["ref_audio"] = str(path.parent / fields["ref_audio"])
        try:
            request = request_of(session, row["text"], fields)
        except BadInputError as exc:
            raise BadInputError(f"manifest {path} line {number}: {exc}") from None
        voice = str(row.get("voice") or voice_name(fields))
        value = voice if label == "speaker" else row.get(label)
        if value is None:
            raise BadInputError(f"manifest {path} line {number} has no {label!r} field (the label to erase)")
        runs.append(LabelledRun(request, str(value), voice))
    if not runs:
        raise BadInputError(f"manifest {path} has no rows")
    return runs


def hold_out_unit(label: str) -> str:
    """`texts` for speaker identity (same voices, unseen utterances), else `voices` (unseen voices)."""
    return "texts" if label == "speaker" else "voices"


def split_runs(runs: Sequence[LabelledRun], label: str, test_fraction: float, seed: int) -> np.ndarray:
    """A boolean per run: True = train. Whole runs (or whole voices) go to one side, stratified by class."""
    if hold_out_unit(label) == "texts":
        split = probing.split_utterances([str(i) for i in range(len(runs))], [r.voice for r in runs],
                                         test_fraction, seed)
        train = np.array([str(i) in split.train for i in range(len(runs))])
    else:
        voices = sorted({r.voice for r in runs})
        label_of = {r.voice: r.label for r in runs}
        split = probing.split_utterances(voices, [label_of[v] for v in voices], test_fraction, seed)
        train = np.array([r.voice in split.train for r in runs])
    if train.all() or not train.any():
        unit = "texts per voice" if hold_out_unit(label) == "texts" else "voices per class"
        raise BadInputError(f"cannot hold out runs for label {label!r}: give at least 2 {unit} "
                            f"({len(runs)} runs were given)")
    return train


@dataclass
class SiteRows:
    """The rows read at one site over all runs (n, H), the run each row came from, and its class id."""

    values: torch.Tensor
    run: np.ndarray
    target: np.ndarray

    @classmethod
    def stack(cls, per_run: Sequence[torch.Tensor], class_of_run: np.ndarray) -> SiteRows:
        lengths = [int(t.shape[0]) for t in per_run]
        run = np.repeat(np.arange(len(per_run)), lengths)
        return cls(torch.cat(list(per_run)).float(), run, class_of_run[run])


def without_rounding_residue(features: np.ndarray, scale: float) -> np.ndarray:
    """Zero the columns whose spread is below ROUNDING_FLOOR x `scale` (the unerased rows' RMS).

    After an eraser collapses a direction, what varies along it is float32 rounding (~1e-7 of the scale); a
    standardising probe would blow that up to unit variance and read the label from arithmetic noise.
    """
    return features * (features.std(0) > ROUNDING_FLOOR * scale)


def _probe(features: np.ndarray, targets: np.ndarray, groups: np.ndarray, train: np.ndarray,
           classes: Sequence[str], seed: int) -> dict[str, Any]:
    task = probing.ProbeTask("label", "classification", "utterance", targets, groups, train, tuple(classes))
    return probing.evaluate(task, features, seed, n_permutations=PROBE_PERMUTATIONS)


def probe_table(rows: dict[str, SiteRows], unit_of_run: np.ndarray, train: np.ndarray, erasers: dict[str, Eraser],
                classes: Sequence[str], seed: int) -> list[dict[str, Any]]:
    """Held-out probe accuracy for the label at each site, unerased and after each eraser (alpha 1); the
    permutation null and the bootstrap work on `unit_of_run` (held-out voices or runs)."""
    table = []
    for site, r in rows.items():
        scale = float(r.values.pow(2).mean().sqrt())
        variants = {"none": r.values} | {m: e.sites[site].apply(r.values) for m, e in erasers.items()}
        for method, features in variants.items():
            result = _probe(without_rounding_residue(features.numpy(), scale), r.target, unit_of_run[r.run], train[r.run], classes, seed)
            table.append({"site": site, "eraser": method, "rank": erasers[method].sites[site].rank
                          if method != "none" else 0, "accuracy": result["accuracy"],
                          "accuracy_ci95": result["ci95"].get("accuracy"), "chance": result["chance"]["accuracy"],
                          "p_value": result["p_value"], "min_p": result["min_p"], "macro_f1": result["macro_f1"],
                          "n_train_rows": result["n_train_frames"], "n_test_rows": result["n_test_frames"],
                          "n_test_units": result["n_test_utterances"]})
    return table


def fit_and_probe(rows: dict[str, SiteRows], runs: Sequence[LabelledRun], label: str, train: np.ndarray,
                  classes: list[str], model: str, seed: int = 0, info: dict[str, Any] | None = None,
                  pca_ranks: Sequence[int] = ()) -> tuple[dict[str, Eraser], list[dict[str, Any]]]:
    """Fit the erasers on the train runs' rows at every site, then probe the held-out runs."""
    train_part = {site: (r.values[torch.as_tensor(train[r.run])], torch.as_tensor(r.target[train[r.run]]))
                  for site, r in rows.items()}
    fit = FitSet.of([r.voice for r, t in zip(runs, train, strict=True) if t],
                    [r.request.text for r, t in zip(runs, train, strict=True) if t])
    erasers = fit_erasers(train_part, classes, model, label, seed, {**(info or {}), "fit": fit.to_json()}, pca_ranks)
    voices = sorted({r.voice for r in runs})
    unit_of_run = np.array([voices.index(r.voice) for r in runs]) if hold_out_unit(label) == "voices" \
        else np.arange(len(runs))
    return erasers, probe_table(rows, unit_of_run, train, erasers, classes, seed)


def run_fit(session: Any, runs: Sequence[LabelledRun], label: str, sites: Sequence[str], selection: Selection,
            out_dir: Path, test_fraction: float = 0.34, seed: int = 0, codes: torch.Tensor | None = None,
            max_new_tokens: int = 50, advance: Callable[[int], None] | None = None,
            pca_ranks: Sequence[int] = ()) -> dict[str, Any]:
    """Collect rows, fit the erasers on the train runs, probe the held-out runs; write OUT (the fit voices and
    texts recorded in every eraser file and in result.json's `fit`)."""
    adapter = session.adapter
    classes = sorted({r.label for r in runs})
    if len(classes) < 2:
        raise BadInputError(f"label {label!r} has {len(classes)} class(es) over the runs ({', '.join(classes)}); "
                            "erasing it needs at least two")
    names = [spec.name for spec in resolve_sites(adapter.sites(), sites)]
    train = split_runs(runs, label, test_fraction, seed)
    per_site = collect(session, [r.request for r in runs], names, selection, codes, max_new_tokens, advance)
    for site in names:
        empty = [runs[i].voice for i, t in enumerate(per_site[site]) if t.shape[0] == 0]
        if empty:
            raise BadInputError(f"the selection reads no rows at {site} in {len(empty)} run(s) (e.g. {empty[0]}): "
                                "check --segments/--frames")
    class_of_run = np.array([classes.index(r.label) for r in runs])
    rows = {site: SiteRows.stack(per_site[site], class_of_run) for site in names}
    counts = {"runs": len(runs), "train_runs": int(train.sum()), "test_runs": int((~train).sum()),
              "rows": {site: int(len(r.run)) for site, r in rows.items()},
              "train_rows": {site: int(train[r.run].sum()) for site, r in rows.items()},
              "per_class": {c: {"runs": sum(r.label == c for r in runs),
                                "voices": len({r.voice for r in runs if r.label == c})} for c in classes}}
    info = {"counts": counts, "selection": selection.to_json(), "held_out": hold_out_unit(label),
            "test_fraction": test_fraction, "split_seed": seed, "provenance": adapter.describe(),
            "weights": adapter_weights(adapter),
            "rows_from": rows_from(adapter, codes, max_new_tokens),
            "runs": [dict(r.to_json(), train=bool(t)) for r, t in zip(runs, train, strict=True)]}
    erasers, probes = fit_and_probe(rows, runs, label, train, classes, adapter.model_id, seed, info, pca_ranks)
    out_dir = Path(out_dir)
    files = {m: f"{m}.safetensors" for m in erasers}
    for method, eraser in erasers.items():
        eraser.info["held_out_probe"] = [p for p in probes if p["eraser"] in ("none", method)]
        save_eraser(eraser, out_dir / files[method])
    write_csv(out_dir / "probe.csv", [{**p, "accuracy_ci95": json.dumps(p["accuracy_ci95"])} for p in probes])
    payload = {"command": "erase fit", "tts_interp_version": __version__, "model": adapter.describe(),
               "label": label, "classes": classes, "sites": names, **info,
               "fit": erasers["leace"].info["fit"], "rank": erasers["leace"].info["rank"],
               "ranks": {m: e.info["rank"] for m, e in erasers.items()},
               "held_out_probe": probes,
               "probe": f"logistic regression on standardised rows, trained on the train runs' rows (erased by the "
                        f"eraser fitted on them), scored on the held-out runs; p from {PROBE_PERMUTATIONS} "
                        f"permutations of the labels of held-out {hold_out_unit(label)} (voices or runs: "
                        "n_test_units); chance = the permutation mean; CI: bootstrap over the same units; columns "
                        f"whose spread is below {ROUNDING_FLOOR:g} of the site's RMS (float32 rounding left by an "
                        "eraser) are zeroed before standardising",
               "files": {**files, "probe": "probe.csv"}}
    write_result(out_dir, payload)
    return payload
