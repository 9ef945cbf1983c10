"""Suite cells of voice erasure: generate with an eraser at a site (or `a+b` sites together).

A cell is a voice cell (suites/voice_cells.py) plus `eraser` (the name of an `erasers:` entry: an `erase fit`
directory or eraser file, or a recipe the suite fits), `method` (which of the fit's erasers), `site` and `alpha`
in [0, 1] (0 = the plain run, bit for bit; 1 = the full eraser), optionally on `segments`/`frames`. It is scored against its voice's plain run (similarity, identity
shift toward `target` if given) and WER; with the `attackers` set scorer in `scoring.scorers`, `suite report`
attacks every condition of the grid (e.g. method x site x alpha), each cell's plain run being its original.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tts_interp.core.errors import BadInputError, UnknownNameError
from tts_interp.core.fingerprint import content_hash
from tts_interp.core.protocol import protocol_of
from tts_interp.evals.items import EvalItem
from tts_interp.suites import fields
from tts_interp.suites.cell import CellContext, ExperimentKind, Produced
from tts_interp.suites.grid import REQUIRED
from tts_interp.suites.voice_cells import (
    COMMON,
    cell_outputs,
    check_common,
    check_selection,
    run_config,
    session_of,
    target_set,
    voice_of,
    voice_set,
)

SITE_JOIN = "+"
ERASE = {**COMMON, "eraser": REQUIRED, "method": "leace", "site": REQUIRED, "alpha": REQUIRED, "segments": None,
         "frames": None, "role": "evaluated"}
ROLES = ("evaluated", "attacker")  # attacker: a voice of the semi-informed attacker's own (trains its back-end)


def _check_erase(config: dict[str, Any], base: Path) -> dict[str, Any]:
    from tts_interp.interventions.erasure.eraser import check_method

    out = check_common(config, base)
    try:
        check_method(fields.string(config, "method"))
    except UnknownNameError as exc:
        raise BadInputError(f"field 'method': {exc}") from None
    fields.string(config, "eraser")
    fields.string(config, "site")
    out["alpha"] = fields.number(config, "alpha")
    if not 0.0 <= out["alpha"] <= 1.0:
        raise BadInputError(f"field 'alpha' is {out['alpha']:g}: erasure strength must be in [0, 1] (0 = no edit, "
                            "1 = the full eraser)")
    fields.choice(config, "role", ROLES)
    if out.get("role") == "evaluated":
        out.pop("role")  # the default role leaves a cell's id as it was before roles existed
    return {**out, **check_selection(config)}


def _check_eraser(config: dict[str, Any], artefacts: dict[str, Any]) -> None:
    """The cell's sites are among the eraser's (a file read now; a recipe by its `sites`), so a typo fails when
    the suite loads, not cell by cell."""
    from tts_interp.interventions.erasure.eraser import load_eraser
    from tts_interp.suites.stages import cell_file

    source, sites = artefacts["eraser"], config["site"].split(SITE_JOIN)
    if source.path is not None:
        eraser = load_eraser(cell_file(source, Path(source.path), config), sites=sites)  # a path entry reads no OUT
        if eraser.method != config["method"]:  # one eraser file: the cell's method must be the file's
            raise BadInputError(f"eraser {source.name!r} ({source.path}) is a {eraser.method} eraser, but the cell "
                                f"asks for method {config['method']!r}; name an `erase fit` directory to choose")
        return
    fitted = [s.strip() for s in source.build["sites"].split(",")]
    missing = [s for s in sites if s not in fitted]
    if missing and not any("*" in s for s in fitted):
        raise BadInputError(f"eraser {source.name!r} is fitted at {', '.join(fitted)}, not at {', '.join(missing)}")


def _run_erase(work_id: str, config: dict[str, Any], ctx: CellContext) -> Produced:
    from tts_interp.interventions.erasure.eraser import load_eraser
    from tts_interp.interventions.erasure.runs import voice_name
    from tts_interp.interventions.running import generate_to_dir, prepare_checked
    from tts_interp.tracing.selection import Selection, check_segments

    session = session_of(ctx, config)
    sites = config["site"].split(SITE_JOIN)
    eraser = load_eraser(ctx.inputs["eraser"], session.adapter.model_id, sites)
    selection = Selection(frames=tuple(config["frames"]) if config.get("frames") else None,
                          segments=tuple(config.get("segments") or ()))
    voice = voice_of(config)
    plain_cfg = run_config(config, voice)
    check_segments(selection, prepare_checked(session.adapter, plain_cfg.prompt).segments)
    plain = voice_set(ctx, session, config, voice)
    fit = eraser.fit_set
    erasure = {"method": eraser.method, "label": eraser.label, "sites": sites, "alpha": config["alpha"],
               "fit": fit.to_json() if fit else None, "role": config.get("role", "evaluated"),
               **protocol_of(fit, [voice_name(config)], [config["text"]]),
               "rank": {s: eraser.site(s).rank for s in sites}, "eraser": config["eraser"],
               "eraser_sha256": content_hash(ctx.inputs["eraser"]),
               "selection": selection.to_json()}
    result = generate_to_dir(session, plain_cfg, ctx.cell_dir, writes=eraser.writes(sites, config["alpha"], selection),
                             extra={"erasure": erasure})
    audio = ctx.cell_dir / "audio.wav"
    target = target_set(ctx, session, config)
    source = voice_set(ctx, session, config, voice, held_out=True) if target else None
    item = EvalItem(work_id, audio, config["text"], reference=plain, source=source, target=target)
    return Produced(item, {**cell_outputs(session, result, audio), "erasure": erasure})


ERASE_KINDS = {
    "erase": ExperimentKind(ERASE, _check_erase, _run_erase, lambda config: {"eraser": config["eraser"]},
                            "a generation with a concept eraser (LEACE, mean-difference, random) at a site, alpha in "
                            "[0, 1]", _check_eraser),
}
