"""The `direction` stage of a suite: directions named under `directions:`, read from files or built.

A file direction (`{path: FILE}`) is identified by the SHA-256 of its bytes. A built direction states how
to make it (`{model, method, text, a: [voices], b: [voices], sites, max_new_tokens, device, dtype}`, as
`tts-interp direction` does) and is identified by the hash of that recipe; it is built once, through the
suite's executor, into OUT/directions/<name>/ (direction.safetensors, directions.csv, result.json, and
stage.json with the recipe hash, so a resumed suite reuses it and a changed recipe is never mixed in).
Cells reference a direction by name; their ids carry the direction's identity.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tts_interp.core.errors import BadInputError
from tts_interp.core.fingerprint import fingerprint
from tts_interp.core.results import write_json
from tts_interp.suites import fields
from tts_interp.suites.cell import cached_model, read_tree

BUILD_FIELDS = ("model", "method", "text", "a", "b", "sites", "max_new_tokens", "device", "dtype")
BUILD_DEFAULTS = {"sites": "talker.layer.*.resid_out", "max_new_tokens": 40, "device": "auto", "dtype": "float32",
                  "b": []}
STAGE_FILE = "stage.json"
DIRECTION_FILE = "direction.safetensors"


@dataclass(frozen=True)
class DirectionSource:
    """One named direction: a file (path + content hash) or a recipe (build config + its hash)."""

    name: str
    path: str | None
    build: dict[str, Any] | None
    digest: str

    def identity(self) -> dict[str, Any]:
        """What a cell's id records about this direction."""
        return {"name": self.name, ("sha256" if self.path else "recipe"): self.digest}

    def out_dir(self, out: Path) -> Path:
        return Path(out) / "directions" / self.name


def _check_voices(value: Any, name: str, base: Path) -> list[dict[str, Any]]:
    from tts_interp.suites.voice_cells import VOICE_FIELDS

    if not isinstance(value, list) or not all(isinstance(v, dict) and v for v in value):
        raise BadInputError(f"direction field {name!r} must be a list of voices such as [{{speaker: aria}}], got "
                            f"{value!r}")
    voices = []
    for voice in value:
        fields.unknown(voice, VOICE_FIELDS, f"direction field {name!r}")
        checked = {k: fields.string(voice, k) for k in voice}
        if "ref_audio" in checked:
            checked["ref_audio"], checked["ref_audio_sha256"] = fields.input_file(voice, "ref_audio", base)
        voices.append(checked)
    return voices


def parse_directions(data: Any, base: Path) -> dict[str, DirectionSource]:
    """The suite's `directions:` mapping, checked; files hashed now."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise BadInputError(f"'directions' must map a name to {{path: FILE}} or a recipe; got {data!r}")
    out = {}
    for name, spec in data.items():
        where = f"direction {name!r}"
        if not isinstance(spec, dict):
            raise BadInputError(f"{where} must be a mapping ({{path: FILE}} or a recipe), got {spec!r}")
        if "path" in spec:
            fields.unknown(spec, ("path",), where)
            path, digest = fields.input_file(spec, "path", base)
            out[name] = DirectionSource(name, path, None, digest)
            continue
        fields.unknown(spec, BUILD_FIELDS, where)
        recipe = {**BUILD_DEFAULTS, **spec}
        for key in ("model", "method", "sites", "device", "dtype"):
            fields.string(recipe, key)
        fields.integer(recipe, "max_new_tokens", minimum=1)
        texts = recipe.get("text")
        recipe["text"] = [texts] if isinstance(texts, str) else texts
        if not isinstance(recipe["text"], list) or not all(isinstance(t, str) and t for t in recipe["text"]):
            raise BadInputError(f"{where}: 'text' must be a string or a list of strings, got {texts!r}")
        recipe["a"] = _check_voices(recipe.get("a"), "a", base)
        recipe["b"] = _check_voices(recipe["b"], "b", base) if recipe["b"] else []
        out[name] = DirectionSource(name, None, recipe, fingerprint(recipe))
    return out


def build_direction(recipe: dict[str, Any]) -> dict[str, bytes]:
    """Build one direction from its recipe (on whichever process the executor picks); its files as bytes."""
    from tts_interp.interventions.direction_experiment import run_direction
    from tts_interp.interventions.session import Session
    from tts_interp.models.registry import check_capabilities
    from tts_interp.tracing.selection import Selection

    family = check_capabilities(recipe["model"], ("run",))

    def requests(voices: list[dict[str, Any]]) -> list[Any]:  # the family's requests (its run hook)
        return [family.request_of(text, {k: v for k, v in voice.items() if not k.endswith("_sha256")})
                for text in recipe["text"] for voice in voices]

    key = {"model": recipe["model"], "device": recipe["device"], "dtype": recipe["dtype"]}
    session = cached_model("talker", key, lambda: Session(**key))  # the cells on this worker reuse it
    with tempfile.TemporaryDirectory(prefix="tts-interp-direction-") as tmp:
        run_direction(session, requests(recipe["a"]), requests(recipe["b"]), [recipe["sites"]], Selection(),
                      recipe["method"], Path(tmp), max_new_tokens=recipe["max_new_tokens"])
        return read_tree(Path(tmp), "")


def built_files(source: DirectionSource, out: Path) -> Path | None:
    """The direction file of a built direction already in OUT with the same recipe, else None."""
    directory = source.out_dir(out)
    stage = directory / STAGE_FILE
    if not (stage.is_file() and (directory / DIRECTION_FILE).is_file()):
        return None
    return directory / DIRECTION_FILE if json.loads(stage.read_text()).get("recipe") == source.digest else None


def store_built(source: DirectionSource, out: Path, files: dict[str, bytes]) -> Path:
    """Write a built direction's files into OUT/directions/<name>/, stage.json last (it marks it complete)."""
    directory = source.out_dir(out)
    directory.mkdir(parents=True, exist_ok=True)
    for rel, data in files.items():
        target = directory / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")  # shards may build it at once
        tmp.write_bytes(data)
        tmp.replace(target)
    write_json(directory / STAGE_FILE, {"name": source.name, "recipe": source.digest, "build": source.build})
    return directory / DIRECTION_FILE


def direction_file(source: DirectionSource, out: Path) -> Path:
    """Where a cell's driver reads the direction's bytes from (a file direction: its own path)."""
    if source.path is not None:
        return Path(source.path)
    path = built_files(source, out)
    if path is None:
        raise BadInputError(f"direction {source.name!r} has not been built into {out}")
    return path
