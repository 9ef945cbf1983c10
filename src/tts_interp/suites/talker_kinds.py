"""Suite cells of generation, steering and patching (each scored by the eval harness); the fields and runs they
share with every voice cell are in suites/voice_cells.py.
- generate: the plain run; scored against the target voice (similarity) when one is given.
- steer: adds alpha x the direction at the given layer(s) (alpha in units of the site's mean norm on the
  plain run, as `tts-interp steer`); scored against the plain run (reference and identity-shift source).
- patch: patches one site kind x layer x segment from the `source` voice's run into this prompt's run;
  records KL / logit-difference recovery on teacher-forced frames and scores the patched greedy audio
  (identity shift from this prompt's voice toward the source voice).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tts_interp.core.errors import BadInputError
from tts_interp.evals.items import EvalItem
from tts_interp.suites import fields
from tts_interp.suites.cell import CellContext, ExperimentKind, Produced
from tts_interp.suites.grid import REQUIRED
from tts_interp.suites.voice_cells import (
    COMMON,
    cell_outputs,
    check_common,
    check_selection,
    other_voice,
    plain_reference,
    run_config,
    run_key,
    session_of,
    target_set,
    voice_of,
    voice_set,
)

STEER = {**COMMON, "direction": REQUIRED, "layer": REQUIRED, "alpha": REQUIRED, "op": "add",
         "site_kind": "resid", "component": 0, "segments": None, "frames": None}
PATCH = {**COMMON, "source": REQUIRED, "layer": REQUIRED, "segment": REQUIRED,
         "site_kind": "resid", "rule": "refuse"}


def _check_steer(config: dict[str, Any], base: Path) -> dict[str, Any]:
    from tts_interp.interventions.patching.patch import parse_kind
    from tts_interp.interventions.steering.writes import STEER_OPS
    from tts_interp.models.registry import check_capabilities

    out = check_common(config, base)
    fields.string(config, "direction")
    out["layer"] = fields.integers(config, "layer")
    out["alpha"] = fields.number(config, "alpha")
    fields.choice(config, "op", STEER_OPS)
    kinds = getattr(check_capabilities(out["model"], ()), "layer_kinds", None)
    out["site_kind"] = parse_kind(fields.string(config, "site_kind"), *([kinds] if kinds else []))
    fields.integer(config, "component", minimum=0)
    return {**out, **check_selection(config)}


def _check_patch(config: dict[str, Any], base: Path) -> dict[str, Any]:
    from tts_interp.interventions.patching.patch import parse_kind
    from tts_interp.interventions.talker.alignment import UNEQUAL_RULES

    out = check_common(config, base)
    out["source"] = other_voice(config, "source", base)
    fields.integer(config, "layer", minimum=0)
    fields.string(config, "segment")
    out["site_kind"] = parse_kind(fields.string(config, "site_kind"))
    fields.choice(config, "rule", UNEQUAL_RULES)
    return out


def _run_generate(work_id: str, config: dict[str, Any], ctx: CellContext) -> Produced:
    from tts_interp.interventions.generation import generate_to_dir

    session = session_of(ctx, config)
    result = generate_to_dir(session, run_config(config, voice_of(config)), ctx.cell_dir)
    audio = ctx.cell_dir / "audio.wav"
    item = EvalItem(work_id, audio, config["text"], reference=target_set(ctx, session, config))
    return Produced(item, cell_outputs(session, result, audio))


def _run_steer(work_id: str, config: dict[str, Any], ctx: CellContext) -> Produced:
    import numpy as np
    import torch

    from tts_interp.interventions.directions.direction import load_direction
    from tts_interp.interventions.generation import generate_to_dir
    from tts_interp.interventions.running import prepare_checked
    from tts_interp.interventions.steering.writes import (
        SteerCell,
        calibrate,
        check_layers,
        code_agreement,
        steering_writes,
    )
    from tts_interp.tracing.selection import Selection, check_segments

    session = session_of(ctx, config)
    adapter = session.adapter
    layers = check_layers(config["layer"], adapter.n_layers)
    sites = [adapter.layer_site(layer, config["site_kind"]) for layer in layers]
    direction = load_direction(ctx.inputs["direction"], adapter.model_id, sites)
    frames = tuple(config["frames"]) if config.get("frames") else None
    selection = Selection(frames=frames, segments=tuple(config.get("segments") or ()))
    voice = voice_of(config)
    plain_cfg = run_config(config, voice)
    prompt = prepare_checked(adapter, plain_cfg.prompt)
    check_segments(selection, prompt.segments)
    calibration = ctx.memo("calibration", {"run": run_key(plain_cfg), "sites": sites, "on": selection.to_json()},
                           lambda: calibrate(session, prompt, plain_cfg.settings, sites, selection))
    plain = voice_set(ctx, session, config, voice, first=plain_reference(ctx, session, plain_cfg, calibration.run))
    cell = SteerCell(config["alpha"], tuple(layers))
    writes = steering_writes(direction, cell, config["op"], selection, calibration, config["site_kind"],
                             config["component"], adapter.layer_site)
    result = generate_to_dir(session, plain_cfg, ctx.cell_dir, writes=writes,
                             extra={"steering": {k: config[k] for k in STEER if k in config}})
    audio = ctx.cell_dir / "audio.wav"
    target = target_set(ctx, session, config)
    source = voice_set(ctx, session, config, voice, held_out=True) if target else None
    item = EvalItem(work_id, audio, config["text"], reference=plain, source=source, target=target)
    codes = ctx.cell_dir / "codes.npy"  # autoregressive families: how many codes the steering changed
    agreement = code_agreement(torch.as_tensor(np.load(codes)), calibration.run.codes) if codes.is_file() else None
    return Produced(item, {**cell_outputs(session, result, audio), "code0_agreement_with_plain": agreement,
                           "alpha_unit_mean_norm": {s: calibration.mean_norm[s] for s in sites}})


def _run_patch(work_id: str, config: dict[str, Any], ctx: CellContext) -> Produced:
    from tts_interp.interventions.generation import generate_to_dir
    from tts_interp.interventions.patching.patch import (
        PatchCell,
        code0_logp,
        generation_write,
        patch_write,
        recovery,
    )
    from tts_interp.interventions.talker.alignment import check_alignable
    from tts_interp.interventions.talker.lens import talker_support
    from tts_interp.interventions.talker.prompts import experiment_codes, prepare_pair
    from tts_interp.models.qwen3_tts.runs import teacher_force
    from tts_interp.tracing.engine import Read

    session = session_of(ctx, config, "generate", "teacher_force")
    adapter = session.adapter
    if not 0 <= config["layer"] < adapter.n_layers:
        raise BadInputError(f"field 'layer' is {config['layer']}; valid: 0..{adapter.n_layers - 1}")
    voice_b, voice_a = voice_of(config), voice_of(config, config["source"])
    cfg_b, cfg_a = run_config(config, voice_b, greedy=True), run_config(config, voice_a, greedy=True)
    pair = prepare_pair(adapter, cfg_a.prompt, cfg_b.prompt)
    check_alignable(pair.a.segments, pair.b.segments, config["segment"], config["rule"])
    cell = PatchCell(config["site_kind"], config["layer"], config["segment"])
    key = {"a": run_key(cfg_a), "b": run_key(cfg_b)}
    codes = ctx.memo("patch-codes", key, lambda: experiment_codes(session, pair.b, None, config["max_new_tokens"])[0])
    source_run = ctx.memo("patch-source", {**key, "site": cell.site},
                          lambda: teacher_force(session.engine, adapter, pair.a, codes, reads=[Read(cell.site)]))
    support = talker_support(adapter)
    logp_b = ctx.memo("patch-target", key, lambda: code0_logp(
        teacher_force(session.engine, adapter, pair.b, codes).logits.code0_logits, support))
    n_frames = int(codes.shape[0])
    write = patch_write(source_run.store, cell, pair.a.segments, pair.b.segments, n_frames, config["rule"])
    patched = teacher_force(session.engine, adapter, pair.b, codes, writes=[write])
    metrics = recovery(code0_logp(source_run.logits.code0_logits, support), logp_b,
                       code0_logp(patched.logits.code0_logits, support))
    result = generate_to_dir(session, cfg_b, ctx.cell_dir, writes=[generation_write(write, n_frames)],
                             extra={"patch": {"site": cell.site, "segment": cell.segment, **metrics}})
    audio = ctx.cell_dir / "audio.wav"
    plain_b = voice_set(ctx, session, config, voice_b, greedy=True)
    plain_a = voice_set(ctx, session, config, voice_a, greedy=True)
    item = EvalItem(work_id, audio, config["text"], source=plain_b, target=plain_a)
    return Produced(item, {**cell_outputs(session, result, audio), **metrics, "patched_positions": int(write.value.shape[0]),
                           "forced_frames": n_frames})


TALKER_KINDS = {
    "generate": ExperimentKind(COMMON, check_common, _run_generate, description="a plain generation"),
    "steer": ExperimentKind(STEER, _check_steer, _run_steer, lambda config: {"direction": config["direction"]},
                            "a generation steered along a direction at talker layers"),
    "patch": ExperimentKind(PATCH, _check_patch, _run_patch,
                            description="activation patching from the source voice's run, one site x segment"),
}
