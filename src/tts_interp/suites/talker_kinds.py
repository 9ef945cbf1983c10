"""Suite cells on autoregressive TTS talkers: generate, steer, patch (each scored by the eval harness).

Every cell names a model, a prompt (text + voice: speaker, instruct or reference clip) and decoding
settings; `target` (voice fields) names a second voice whose plain runs are the identity-shift target.
Reference voices are plain runs at the cell's seed and the next `reference_seeds - 1` seeds: with 2 or
more, the eval harness calibrates the identity shift (leave-one-out ends); with 1, only the raw one.
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
from tts_interp.core.fingerprint import content_hash, fingerprint, weights_provenance
from tts_interp.core.paths import file_sha256
from tts_interp.evals.items import EvalItem, SpeakerSet
from tts_interp.suites import fields
from tts_interp.suites.cell import CellContext, ExperimentKind, Produced
from tts_interp.suites.grid import REQUIRED

VOICE_FIELDS = ("speaker", "instruct", "ref_audio", "ref_text", "language")
COMMON = {"model": REQUIRED, "text": REQUIRED, "speaker": None, "instruct": None, "ref_audio": None,
          "ref_text": None, "language": "auto", "target": None, "seed": 0, "greedy": False, "max_new_tokens": 40, "reference_seeds": 1,
          "device": "auto", "dtype": "float32"}
STEER = {**COMMON, "direction": REQUIRED, "layer": REQUIRED, "alpha": REQUIRED, "op": "add",
         "site_kind": "resid", "component": 0, "segments": None, "frames": None}
PATCH = {**COMMON, "source": REQUIRED, "layer": REQUIRED, "segment": REQUIRED,
         "site_kind": "resid", "rule": "refuse"}


def _check_voice(voice: dict[str, Any], base: Path, where: str) -> dict[str, Any]:
    fields.unknown(voice, VOICE_FIELDS + ("ref_audio_sha256",), where)
    out = {name: fields.string(voice, name, optional=True) for name in VOICE_FIELDS if name in voice}
    if out.get("ref_audio"):
        out["ref_audio"], out["ref_audio_sha256"] = fields.input_file(voice, "ref_audio", base)
    return out


def _other_voice(config: dict[str, Any], name: str, base: Path) -> dict[str, Any] | None:
    value = config.get(name)
    if value is None:
        return None
    if not isinstance(value, dict) or not value:
        raise BadInputError(f"field {name!r} must be a mapping of voice fields ({', '.join(VOICE_FIELDS)}), "
                            f"e.g. {{speaker: bram}}; got {value!r}")
    return _check_voice(value, base, f"field {name!r}")


def check_common(config: dict[str, Any], base: Path) -> dict[str, Any]:
    """Types of the model, prompt, voice and decoding fields; files resolved and hashed."""
    out = dict(config)
    out.update(fields.model_weights(config, "model", base))
    fields.string(config, "text")
    out.update(_check_voice({k: config[k] for k in VOICE_FIELDS if config.get(k) is not None}, base, "prompt"))
    out["target"] = _other_voice(config, "target", base)
    fields.integer(config, "seed")
    fields.boolean(config, "greedy")
    fields.integer(config, "max_new_tokens", minimum=1)
    fields.integer(config, "reference_seeds", minimum=1)
    fields.string(config, "device")
    fields.string(config, "dtype")
    return out


def _check_steer(config: dict[str, Any], base: Path) -> dict[str, Any]:
    from tts_interp.interventions.patching import parse_kind
    from tts_interp.interventions.steering import STEER_OPS
    from tts_interp.models.registry import check_capabilities

    out = check_common(config, base)
    fields.string(config, "direction")
    out["layer"] = fields.integers(config, "layer")
    out["alpha"] = fields.number(config, "alpha")
    fields.choice(config, "op", STEER_OPS)
    kinds = getattr(check_capabilities(out["model"], ()), "layer_kinds", None)
    out["site_kind"] = parse_kind(fields.string(config, "site_kind"), *([kinds] if kinds else []))
    fields.integer(config, "component", minimum=0)
    if config.get("segments") is not None and (not isinstance(config["segments"], list) or
                                               not all(isinstance(s, str) for s in config["segments"])):
        raise BadInputError(f"field 'segments' must be a list of segment names, got {config['segments']!r}")
    if config.get("frames") is not None:
        out["frames"] = fields.integers(config, "frames")
        if len(out["frames"]) != 2:
            raise BadInputError(f"field 'frames' must be [start, stop], got {config['frames']!r}")
    return out


def _check_patch(config: dict[str, Any], base: Path) -> dict[str, Any]:
    from tts_interp.interventions.patching import parse_kind
    from tts_interp.interventions.talker.alignment import UNEQUAL_RULES

    out = check_common(config, base)
    out["source"] = _other_voice(config, "source", base)
    fields.integer(config, "layer", minimum=0)
    fields.string(config, "segment")
    out["site_kind"] = parse_kind(fields.string(config, "site_kind"))
    fields.choice(config, "rule", UNEQUAL_RULES)
    return out


# ------------------------------------------------------------------------------------------------ running
def _voice_of(config: dict[str, Any], override: dict[str, Any] | None = None) -> dict[str, Any]:
    voice = {k: config.get(k) for k in VOICE_FIELDS}
    voice.update({k: v for k, v in (override or {}).items() if k in VOICE_FIELDS})
    return voice


def run_config(config: dict[str, Any], voice: dict[str, Any], greedy: bool | None = None, seed_offset: int = 0
               ) -> Any:
    """The RunConfig of this cell's prompt spoken in `voice` (the family's request and settings, its run hook)."""
    from tts_interp.interventions.generation import RunConfig
    from tts_interp.models.registry import check_capabilities

    family = check_capabilities(config["model"], ("run",))
    request = family.request_of(config["text"], voice)
    settings = family.settings_of(config["seed"] + seed_offset, config["greedy"] if greedy is None else greedy,
                                  config["max_new_tokens"])
    return RunConfig(config["model"], request, settings, config["device"], config["dtype"])


def session_of(ctx: CellContext, config: dict[str, Any], *needs: str) -> Any:
    """The cell's model, loaded once per process; a family without `needs` (default: a run hook that speaks a
    voice, Qwen3-TTS or Kokoro) is refused before loading."""
    from tts_interp.interventions.session import Session
    from tts_interp.models.registry import check_capabilities

    family = check_capabilities(config["model"], needs or ("run",))
    if not hasattr(family, "request_of"):
        raise BadInputError(f"{config['model']!r} is a {family.family} model: suite cells of this kind run models "
                            "that speak in a voice (Qwen3-TTS, Kokoro)")
    key = {"model": config["model"], "device": config["device"], "dtype": config["dtype"]}
    return ctx.model("talker", key, lambda: Session(**key))


def voice_set(ctx: CellContext, session: Any, config: dict[str, Any], voice: dict[str, Any],
              greedy: bool | None = None, first: Path | None = None) -> SpeakerSet:
    """Plain runs of `voice` at the cell's seed and the next `reference_seeds - 1` seeds (one run when greedy),
    named by model + voice, so calibration pools a voice's clips and identity shift can be calibrated."""
    greedy = config["greedy"] if greedy is None else greedy
    clips = [first if n == 0 and first is not None else
             plain_reference(ctx, session, run_config(config, voice, greedy, seed_offset=n))
             for n in range(1 if greedy else config["reference_seeds"])]
    stable = {**voice, "ref_audio": content_hash(voice["ref_audio"]) if voice.get("ref_audio") else None}
    label = voice.get("speaker") or ("instruct" if voice.get("instruct") else "ref" if voice.get("ref_audio")
                                     else "default")
    return SpeakerSet(f"{label}@{fingerprint({'model': config['model'], **stable})[:8]}", tuple(clips))


def run_key(run_cfg: Any) -> dict[str, Any]:
    """A run's config with its reference clip named by content, not path (inputs land in scratch folders)."""
    key = run_cfg.to_json()
    if key["prompt"].get("ref_audio"):
        key["prompt"]["ref_audio"] = content_hash(key["prompt"]["ref_audio"])
    return key


def plain_reference(ctx: CellContext, session: Any, run_cfg: Any, run: Any = None) -> Path:
    """The plain run of `run_cfg` under OUT/refs/ (generated here unless `run` is given); its audio path."""
    from tts_interp.interventions.generation import generate_to_dir, write_generation

    def produce(directory: Path) -> None:
        role = {"role": "plain run (suite reference)"}
        if run is None:
            generate_to_dir(session, run_cfg, directory, extra=role)
        else:
            write_generation(directory, session, run_cfg, run, role)

    return ctx.reference({"plain": run_key(run_cfg)}, produce)


def _target_set(ctx: CellContext, session: Any, config: dict[str, Any]) -> SpeakerSet | None:
    if config.get("target") is None:
        return None
    return voice_set(ctx, session, config, _voice_of(config, config["target"]))


def _outputs(session: Any, result: dict[str, Any], audio: Path) -> dict[str, Any]:
    """A cell's own numbers: frames, length, the audio's hash, and the weights it ran on."""
    adapter = session.adapter
    frames = result["frames"] if "frames" in result else sum(map(sum, result["durations"]))  # Kokoro: durations
    weights = (weights_provenance(adapter.model_id, adapter.checkpoint) if hasattr(adapter, "checkpoint")
               else adapter.describe()["provenance"])
    return {"frames": frames, "audio_seconds": result.get("seconds", result.get("audio_seconds")),
            "audio_sha256": file_sha256(audio), "weights": weights}


def _run_generate(work_id: str, config: dict[str, Any], ctx: CellContext) -> Produced:
    from tts_interp.interventions.generation import generate_to_dir

    session = session_of(ctx, config)
    result = generate_to_dir(session, run_config(config, _voice_of(config)), ctx.cell_dir)
    audio = ctx.cell_dir / "audio.wav"
    item = EvalItem(work_id, audio, config["text"], reference=_target_set(ctx, session, config))
    return Produced(item, _outputs(session, result, audio))


def _run_steer(work_id: str, config: dict[str, Any], ctx: CellContext) -> Produced:
    import numpy as np
    import torch

    from tts_interp.interventions.directions import load_direction
    from tts_interp.interventions.generation import generate_to_dir
    from tts_interp.interventions.running import prepare_checked
    from tts_interp.interventions.steering import (
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
    voice = _voice_of(config)
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
    target = _target_set(ctx, session, config)
    item = EvalItem(work_id, audio, config["text"], reference=plain, source=plain if target else None, target=target)
    codes = ctx.cell_dir / "codes.npy"  # autoregressive families: how many codes the steering changed
    agreement = code_agreement(torch.as_tensor(np.load(codes)), calibration.run.codes) if codes.is_file() else None
    return Produced(item, {**_outputs(session, result, audio), "code0_agreement_with_plain": agreement,
                           "alpha_unit_mean_norm": {s: calibration.mean_norm[s] for s in sites}})


def _run_patch(work_id: str, config: dict[str, Any], ctx: CellContext) -> Produced:
    from tts_interp.interventions.generation import generate_to_dir
    from tts_interp.interventions.patching import (
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
    voice_b, voice_a = _voice_of(config), _voice_of(config, config["source"])
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
    return Produced(item, {**_outputs(session, result, audio), **metrics, "patched_positions": int(write.value.shape[0]),
                           "forced_frames": n_frames})


TALKER_KINDS = {
    "generate": ExperimentKind(COMMON, check_common, _run_generate, description="a plain generation"),
    "steer": ExperimentKind(STEER, _check_steer, _run_steer, lambda config: [config["direction"]],
                            "a generation steered along a direction at talker layers"),
    "patch": ExperimentKind(PATCH, _check_patch, _run_patch,
                            description="activation patching from the source voice's run, one site x segment"),
}
