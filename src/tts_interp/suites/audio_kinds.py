"""Suite cells on codecs and denoisers: codes ablate, codes swap, h-space edit (each scored by the eval harness).

- codes-ablate: encode a clip, decode it with codebooks zeroed (or set to their mean entry); scored against
  the plain reconstruction (similarity; WER when `text` is given).
- codes-swap: codebooks from clip A into clip B; scored as an identity shift from B's reconstruction toward
  A's.
- hspace-edit: a diffusion / flow-matching denoiser sampled with alpha x an h-space direction added (a file
  made by `tts-interp hspace direction`); scored against the plain sample of the same seed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tts_interp.core.audio import write_wav
from tts_interp.core.errors import BadInputError
from tts_interp.core.fingerprint import fingerprint, weights_provenance
from tts_interp.core.paths import file_sha256
from tts_interp.evals.items import EvalItem, SpeakerSet
from tts_interp.suites import fields
from tts_interp.suites.cell import CellContext, ExperimentKind, Produced
from tts_interp.suites.grid import REQUIRED

CODEC_COMMON = {"codec": REQUIRED, "codebooks": REQUIRED, "text": None, "device": "cpu"}
ABLATE = {**CODEC_COMMON, "audio": REQUIRED, "mode": "zero"}
SWAP = {**CODEC_COMMON, "a": REQUIRED, "b": REQUIRED, "align": "truncate"}
HSPACE = {"model": REQUIRED, "text": REQUIRED, "direction": REQUIRED, "alpha": REQUIRED, "speaker": None,
          "ref_audio": None, "ref_text": None, "t_range": None, "steps": 10, "seed": 0, "device": "cpu",
          "dtype": "float32"}


def _check_codec_common(config: dict[str, Any], base: Path) -> dict[str, Any]:
    out = dict(config)
    out.update(fields.model_weights(config, "codec", base))
    out["codebooks"] = sorted(set(fields.integers(config, "codebooks")))
    fields.string(config, "text", optional=True)
    fields.string(config, "device")
    return out


def _check_ablate(config: dict[str, Any], base: Path) -> dict[str, Any]:
    out = _check_codec_common(config, base)
    out["audio"], out["audio_sha256"] = fields.input_file(config, "audio", base)
    fields.choice(config, "mode", ("zero", "mean"))
    return out


def _check_swap(config: dict[str, Any], base: Path) -> dict[str, Any]:
    from tts_interp.interventions.codebooks.edits import ALIGNMENTS

    out = _check_codec_common(config, base)
    for name in ("a", "b"):
        out[name], out[f"{name}_sha256"] = fields.input_file(config, name, base)
    fields.choice(config, "align", ALIGNMENTS)
    return out


def _codec_of(ctx: CellContext, config: dict[str, Any]) -> Any:
    from tts_interp.codecs.registry import load_codec

    key = {"codec": config["codec"], "device": config["device"]}
    return ctx.model("codec", key, lambda: load_codec(config["codec"], config["device"]))


def _reconstruction(ctx: CellContext, codec: Any, config: dict[str, Any], path: str, digest: str) -> SpeakerSet:
    """The plain encode-decode of a clip under OUT/refs/, as a one-clip speaker set named by the clip."""
    def produce(directory: Path) -> None:
        audio = codec.decode(codec.encode_audio(path))
        write_wav(directory / "audio.wav", audio.samples, audio.sample_rate)

    clip = ctx.reference({"reconstruction": digest, "codec": config["codec"], "device": config["device"]}, produce)
    return SpeakerSet(f"clip@{digest[:8]}", (clip,))


def _run_ablate(work_id: str, config: dict[str, Any], ctx: CellContext) -> Produced:
    import numpy as np

    codec = _codec_of(ctx, config)
    chosen = codec.check_codebooks(config["codebooks"])
    codes = codec.encode_audio(config["audio"])
    plain = _reconstruction(ctx, codec, config, config["audio"], config["audio_sha256"])
    edited = codec.decode(codes, dict.fromkeys(chosen, config["mode"]))
    audio = ctx.cell_dir / "audio.wav"
    write_wav(audio, edited.samples, edited.sample_rate)
    np.save(ctx.cell_dir / "codes.npy", codes)
    item = EvalItem(work_id, audio, config.get("text"), reference=plain)
    return Produced(item, {"frames": int(len(codes)), "audio_sha256": file_sha256(audio),
                           "rms_edited": float(np.sqrt(np.mean(edited.samples ** 2)))})


def _run_swap(work_id: str, config: dict[str, Any], ctx: CellContext) -> Produced:
    import numpy as np

    from tts_interp.interventions.codebooks.edits import swap_codes

    codec = _codec_of(ctx, config)
    swapped, info = swap_codes(codec, codec.encode_audio(config["a"]), codec.encode_audio(config["b"]),
                               config["codebooks"], config["align"])
    audio = ctx.cell_dir / "audio.wav"
    decoded = codec.decode(swapped)
    write_wav(audio, decoded.samples, decoded.sample_rate)
    np.save(ctx.cell_dir / "codes.npy", swapped)
    source = _reconstruction(ctx, codec, config, config["b"], config["b_sha256"])
    target = _reconstruction(ctx, codec, config, config["a"], config["a_sha256"])
    item = EvalItem(work_id, audio, config.get("text"), source=source, target=target)
    return Produced(item, {"frames": int(len(swapped)), "audio_sha256": file_sha256(audio),
                           **{k: v for k, v in info.items() if isinstance(v, (int, float, str))}})


def _check_hspace(config: dict[str, Any], base: Path) -> dict[str, Any]:
    out = dict(config)
    out.update(fields.model_weights(config, "model", base))
    for name in ("text", "direction", "device", "dtype"):
        fields.string(config, name)
    out["alpha"] = fields.number(config, "alpha")
    if config.get("speaker") is not None:
        fields.integer(config, "speaker", minimum=0)
    if config.get("ref_audio") is not None:
        out["ref_audio"], out["ref_audio_sha256"] = fields.input_file(config, "ref_audio", base)
    fields.string(config, "ref_text", optional=True)
    fields.integer(config, "steps", minimum=1)
    fields.integer(config, "seed")
    if config.get("t_range") is not None:
        value = config["t_range"]
        if (not isinstance(value, list) or len(value) != 2 or
                not all(isinstance(v, (int, float)) and 0 <= v <= 1 for v in value) or value[0] > value[1]):
            raise BadInputError(f"field 't_range' must be [a, b] with 0 <= a <= b <= 1, got {value!r}")
        out["t_range"] = [float(v) for v in value]
    return out


def _run_hspace(work_id: str, config: dict[str, Any], ctx: CellContext) -> Produced:
    from tts_interp.interventions.hspace.directions import Direction
    from tts_interp.interventions.hspace.editing import edit, write_run
    from tts_interp.interventions.session import Session
    from tts_interp.models.denoising.settings import DenoiseRequest, SamplerSettings
    from tts_interp.models.registry import check_capabilities

    key = {"model": config["model"], "device": config["device"], "dtype": config["dtype"]}
    check_capabilities(config["model"], ("denoise",))
    session = ctx.model("denoiser", key, lambda: Session(**key))
    request = DenoiseRequest(config["text"], config.get("speaker"), config.get("ref_audio"), config.get("ref_text"))
    settings = SamplerSettings(steps=config["steps"], seed=config["seed"])
    direction = Direction.load(ctx.inputs["direction"])
    t_range = tuple(config["t_range"]) if config.get("t_range") else None
    result = write_run(ctx.cell_dir, session, edit(session, request, settings, direction, config["alpha"], t_range),
                       {"command": "suite hspace-edit", "alpha": config["alpha"], "t_range": config.get("t_range")})

    def produce(directory: Path) -> None:
        write_run(directory, session, edit(session, request, settings, None, 0.0, None),
                  {"role": "plain sample (suite reference)"})

    plain_key = {"model": key, "request": request.to_json(), "settings": settings.to_json()}
    voice = fingerprint({"model": config["model"], "speaker": config.get("speaker"),
                         "ref_audio": config.get("ref_audio_sha256")})[:8]
    plain = SpeakerSet(f"denoiser@{voice}", (ctx.reference(plain_key, produce),))
    audio = ctx.cell_dir / "audio.wav"
    item = EvalItem(work_id, audio, config["text"], reference=plain)
    return Produced(item, {"mel_frames": result["mel_frames"], "audio_seconds": result["seconds"],
                           "audio_sha256": file_sha256(audio),
                           "weights": weights_provenance(session.model, session.adapter.checkpoint)})


AUDIO_KINDS = {
    "codes-ablate": ExperimentKind(ABLATE, _check_ablate, _run_ablate,
                                   description="a clip decoded with codebooks ablated"),
    "codes-swap": ExperimentKind(SWAP, _check_swap, _run_swap, description="codebooks swapped from clip A into B"),
    "hspace-edit": ExperimentKind(HSPACE, _check_hspace, _run_hspace, lambda config: {"direction": config["direction"]},
                                  "a denoiser sample with an h-space direction added"),
}
