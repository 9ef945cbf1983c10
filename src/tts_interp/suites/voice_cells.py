"""What every suite cell on a model that speaks in a voice shares (generate, steer, patch, erase).

A cell names a model, a prompt (text + voice: speaker, instruct or reference clip) and decoding settings;
`target` (voice fields) names a second voice whose plain runs are the identity-shift target. Reference voices
are plain runs at the cell's seed and the next `reference_seeds - 1` seeds; the identity shift's anchors (source and
target) are plain runs at the `reference_seeds` seeds after the cell's, never its own: with 2 or more, the eval
harness calibrates the identity shift (leave-one-out ends); with 1, only the raw one. The model loads once per process
through the family's `run` hook (Qwen3-TTS, Kokoro), and plain runs land once in OUT/refs/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tts_interp.core.errors import BadInputError
from tts_interp.core.fingerprint import adapter_weights, content_hash, fingerprint
from tts_interp.core.paths import file_sha256
from tts_interp.evals.items import SpeakerSet
from tts_interp.suites import fields
from tts_interp.suites.cell import CellContext
from tts_interp.suites.grid import REQUIRED

VOICE_FIELDS = ("speaker", "instruct", "ref_audio", "ref_text", "language")
COMMON = {"model": REQUIRED, "text": REQUIRED, "speaker": None, "instruct": None, "ref_audio": None,
          "ref_text": None, "language": "auto", "target": None, "seed": 0, "greedy": False, "max_new_tokens": 40, "reference_seeds": 1,
          "device": "auto", "dtype": "float32"}


def _check_voice(voice: dict[str, Any], base: Path, where: str) -> dict[str, Any]:
    fields.unknown(voice, VOICE_FIELDS + ("ref_audio_sha256",), where)
    out = {name: fields.string(voice, name, optional=True) for name in VOICE_FIELDS if name in voice}
    if out.get("ref_audio"):
        out["ref_audio"], out["ref_audio_sha256"] = fields.input_file(voice, "ref_audio", base)
    return out


def other_voice(config: dict[str, Any], name: str, base: Path) -> dict[str, Any] | None:
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
    out["target"] = other_voice(config, "target", base)
    fields.integer(config, "seed")
    fields.boolean(config, "greedy")
    fields.integer(config, "max_new_tokens", minimum=1)
    fields.integer(config, "reference_seeds", minimum=1)
    fields.string(config, "device")
    fields.string(config, "dtype")
    return out


def check_selection(config: dict[str, Any]) -> dict[str, Any]:
    """Optional `segments` (a list of segment names) and `frames` ([start, stop]) of a cell that edits a site."""
    if config.get("segments") is not None and (not isinstance(config["segments"], list) or
                                               not all(isinstance(s, str) for s in config["segments"])):
        raise BadInputError(f"field 'segments' must be a list of segment names, got {config['segments']!r}")
    if config.get("frames") is None:
        return {}
    frames = fields.integers(config, "frames")
    if len(frames) != 2:
        raise BadInputError(f"field 'frames' must be [start, stop], got {config['frames']!r}")
    return {"frames": frames}


# ------------------------------------------------------------------------------------------------ running
def voice_of(config: dict[str, Any], override: dict[str, Any] | None = None) -> dict[str, Any]:
    """The cell's voice fields, with `override`'s (a `target` or `source` voice) in their place."""
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
              greedy: bool | None = None, first: Path | None = None, held_out: bool = False) -> SpeakerSet:
    """Plain runs of `voice` at the cell's seed and the next `reference_seeds - 1` seeds (one run when greedy),
    named by model + voice, so calibration pools a voice's clips and identity shift can be calibrated. With
    `held_out` (an identity-shift anchor), the `reference_seeds` seeds after the cell's own: a clip sharing the
    cell's seed would pull the anchor onto the cell (the unedited cell read -0.32 where held-out speech reads 0)."""
    greedy = config["greedy"] if greedy is None else greedy
    start = 1 if held_out and not greedy else 0
    clips = [first if n == 0 and first is not None else
             plain_reference(ctx, session, run_config(config, voice, greedy, seed_offset=n))
             for n in range(start, start + (1 if greedy else config["reference_seeds"]))]
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


def target_set(ctx: CellContext, session: Any, config: dict[str, Any]) -> SpeakerSet | None:
    if config.get("target") is None:
        return None
    return voice_set(ctx, session, config, voice_of(config, config["target"]), held_out=True)


def cell_outputs(session: Any, result: dict[str, Any], audio: Path) -> dict[str, Any]:
    """A cell's own numbers: frames, length, the audio's hash, and the weights it ran on."""
    adapter = session.adapter
    from tts_interp.interventions.running import run_length

    frames, seconds = run_length(result)
    weights = adapter_weights(adapter)
    return {"frames": frames, "audio_seconds": seconds,
            "audio_sha256": file_sha256(audio), "weights": weights}
