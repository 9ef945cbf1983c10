"""The stages of a suite that make what its cells read: `directions:` (steer cells) and `erasers:` (erase cells).

An entry is read from a path (`{path: FILE}`; an eraser may also name an `erase fit` directory), identified by the
SHA-256 of its bytes, or built from a recipe, identified by the hash of the recipe:
- a direction as `tts-interp direction` makes it: `{model, method, text, a: [voices], b: [voices], sites,
  max_new_tokens, device, dtype}`;
- erasers as `tts-interp erase fit` makes them: `{model, label, sites, voices, text, test_fraction, seed,
  max_new_tokens, device, dtype}` (LEACE, mean-difference and random, with the held-out probe).
A recipe is built once, through the suite's executor, into OUT/<directions|erasers>/<name>/ (its files, and
stage.json with the recipe hash written last, so a resumed suite reuses it and a changed recipe is never mixed
in). Cells name an entry; their ids carry its identity.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tts_interp.core.errors import BadInputError, UnknownNameError
from tts_interp.core.fingerprint import content_hash, fingerprint
from tts_interp.core.results import write_json
from tts_interp.suites import fields
from tts_interp.suites.cell import cached_model, read_tree

STAGE_FILE = "stage.json"


@dataclass(frozen=True)
class Artefact:
    """One named entry of a stage: a path (+ content hash) or a recipe (+ its hash)."""

    name: str
    kind: str  # "direction" | "eraser"
    path: str | None
    build: dict[str, Any] | None
    digest: str

    def identity(self) -> dict[str, Any]:
        """What a cell's id records about this entry."""
        return {"name": self.name, ("sha256" if self.path else "recipe"): self.digest}

    def out_dir(self, out: Path) -> Path:
        return Path(out) / STAGES[self.kind].section / self.name


def _voices(value: Any, name: str, base: Path) -> list[dict[str, Any]]:
    from tts_interp.suites.voice_cells import VOICE_FIELDS

    if not isinstance(value, list) or not all(isinstance(v, dict) and v for v in value):
        raise BadInputError(f"field {name!r} must be a list of voices such as [{{speaker: aria}}], got {value!r}")
    voices = []
    for voice in value:
        fields.unknown(voice, VOICE_FIELDS, f"field {name!r}")
        checked = {k: fields.string(voice, k) for k in voice}
        if "ref_audio" in checked:
            checked["ref_audio"], checked["ref_audio_sha256"] = fields.input_file(voice, "ref_audio", base)
        voices.append(checked)
    return voices


def _texts(recipe: dict[str, Any]) -> list[str]:
    texts = recipe.get("text")
    listed = [texts] if isinstance(texts, str) else texts
    if not isinstance(listed, list) or not listed or not all(isinstance(t, str) and t for t in listed):
        raise BadInputError(f"'text' must be a string or a list of strings, got {texts!r}")
    return listed


def _direction_recipe(recipe: dict[str, Any], base: Path) -> dict[str, Any]:
    for key in ("model", "method", "sites", "device", "dtype"):
        fields.string(recipe, key)
    fields.integer(recipe, "max_new_tokens", minimum=1)
    recipe["text"] = _texts(recipe)
    recipe["a"] = _voices(recipe.get("a"), "a", base)
    recipe["b"] = _voices(recipe["b"], "b", base) if recipe["b"] else []
    return recipe


def _eraser_recipe(recipe: dict[str, Any], base: Path) -> dict[str, Any]:
    for key in ("model", "label", "sites", "device", "dtype"):
        fields.string(recipe, key)
    fields.integer(recipe, "max_new_tokens", minimum=1)
    fields.integer(recipe, "seed")
    share = fields.number(recipe, "test_fraction")
    if not 0.0 < share < 1.0:
        raise BadInputError(f"'test_fraction' must be between 0 and 1, got {share:g}")
    recipe["text"] = _texts(recipe)
    names = recipe.get("voices")
    if not isinstance(names, list) or len(names) < 2 or not all(isinstance(v, str) and v for v in names):
        raise BadInputError(f"'voices' must list at least two named voices, got {names!r}")
    ranks = recipe.get("pca_ranks") or []
    if not isinstance(ranks, list) or not all(isinstance(k, int) and not isinstance(k, bool) and k > 0 for k in ranks):
        raise BadInputError(f"'pca_ranks' must list positive integers (PCA eraser ranks), got {ranks!r}")
    if not ranks:
        recipe.pop("pca_ranks", None)  # an entry without PCA erasers keeps the recipe hash it had before
    return recipe


def _request_maker(recipe: dict[str, Any]) -> Callable[[str, dict[str, Any]], Any]:
    from tts_interp.models.registry import check_capabilities

    family = check_capabilities(recipe["model"], ("run",))
    return lambda text, voice: family.request_of(text, {k: v for k, v in voice.items() if not k.endswith("_sha256")})


def _session(recipe: dict[str, Any]) -> Any:
    from tts_interp.interventions.session import Session

    key = {"model": recipe["model"], "device": recipe["device"], "dtype": recipe["dtype"]}
    return cached_model("talker", key, lambda: Session(**key))  # the cells on this worker reuse it


def build_direction(recipe: dict[str, Any], directory: Path) -> None:
    """`tts-interp direction` from a recipe, into `directory`."""
    from tts_interp.interventions.directions.experiment import run_direction
    from tts_interp.tracing.selection import Selection

    request = _request_maker(recipe)
    runs_a = [request(text, voice) for text in recipe["text"] for voice in recipe["a"]]
    runs_b = [request(text, voice) for text in recipe["text"] for voice in recipe["b"]]
    run_direction(_session(recipe), runs_a, runs_b, [recipe["sites"]], Selection(), recipe["method"], directory,
                  max_new_tokens=recipe["max_new_tokens"])


def build_erasers(recipe: dict[str, Any], directory: Path) -> None:
    """`tts-interp erase fit` from a recipe, into `directory`: the three erasers and the held-out probe."""
    from tts_interp.interventions.erasure.fit import run_fit, voice_runs
    from tts_interp.tracing.selection import Selection

    session = _session(recipe)
    runs = voice_runs(session, recipe["voices"], recipe["text"], recipe["label"])
    run_fit(session, runs, recipe["label"], [recipe["sites"]], Selection(), directory, recipe["test_fraction"],
            recipe["seed"], max_new_tokens=recipe["max_new_tokens"], pca_ranks=recipe.get("pca_ranks") or ())


def _eraser_file(root: Path, config: Mapping[str, Any]) -> Path:
    """The eraser a cell reads: the file given, or its method's file in an `erase fit` directory."""
    return root / f"{config.get('method', 'leace')}.safetensors" if root.is_dir() else root


def _directory_digest(path: Path) -> str:
    """An `erase fit` directory by the content of its eraser files."""
    files = {f.stem: content_hash(f) for f in sorted(path.glob("*.safetensors"))}
    if not files:
        raise BadInputError(f"{path} holds no eraser file (leace/mean_diff/random.safetensors of `tts-interp erase "
                            "fit`)")
    return fingerprint(files)


@dataclass(frozen=True)
class StageKind:
    """A stage: its YAML section (and OUT folder), recipe fields and defaults, recipe check, builder, and the file
    a cell reads from an entry (its path, or the folder it was built into)."""

    section: str
    fields: tuple[str, ...]
    defaults: Mapping[str, Any]
    check: Callable[[dict[str, Any], Path], dict[str, Any]]
    build: Callable[[dict[str, Any], Path], None]
    cell_file: Callable[[Path, Mapping[str, Any]], Path]
    directories: bool = False  # a path entry may be a directory


STAGES: dict[str, StageKind] = {
    "direction": StageKind("directions", ("model", "method", "text", "a", "b", "sites", "max_new_tokens", "device",
                                          "dtype"),
                           {"sites": "talker.layer.*.resid_out", "max_new_tokens": 40, "device": "auto",
                            "dtype": "float32", "b": []},
                           _direction_recipe, build_direction,
                           lambda root, config: root / "direction.safetensors" if root.is_dir() else root),
    "eraser": StageKind("erasers", ("model", "label", "sites", "voices", "text", "test_fraction", "seed",
                                    "max_new_tokens", "device", "dtype", "pca_ranks"),
                        {"label": "speaker", "test_fraction": 0.34, "seed": 0, "max_new_tokens": 50, "device": "auto",
                         "dtype": "float32"},
                        _eraser_recipe, build_erasers, _eraser_file, directories=True),
}
SECTIONS = {stage.section: kind for kind, stage in STAGES.items()}


def parse_stage(kind: str, data: Any, base: Path) -> dict[str, Artefact]:
    """A suite's `directions:` or `erasers:` mapping, checked; paths hashed now."""
    stage = STAGES[kind]
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise BadInputError(f"'{stage.section}' must map a name to {{path: ...}} or a recipe; got {data!r}")
    out = {}
    for name, spec in data.items():
        where = f"{kind} {name!r}"
        if not isinstance(spec, dict):
            raise BadInputError(f"{where} must be a mapping ({{path: ...}} or a recipe), got {spec!r}")
        try:
            if "path" in spec:
                fields.unknown(spec, ("path",), where)
                path = Path(fields.string(spec, "path") or "").expanduser()
                path = path if path.is_absolute() else (base / path).resolve()
                if stage.directories and path.is_dir():
                    out[name] = Artefact(name, kind, str(path), None, _directory_digest(path))
                else:
                    given, digest = fields.input_file(spec, "path", base)
                    out[name] = Artefact(name, kind, given, None, digest)
                continue
            fields.unknown(spec, stage.fields, where)
            recipe = stage.check({**stage.defaults, **spec}, base)
        except BadInputError as exc:
            raise BadInputError(f"{where}: {exc}") from None
        out[name] = Artefact(name, kind, None, recipe, fingerprint(recipe))
    return out


def current_digest(source: Artefact) -> str:
    """A path entry's content hash as it is now (to refuse one changed since the suite was loaded)."""
    assert source.path is not None
    path = Path(source.path)
    return _directory_digest(path) if path.is_dir() else content_hash(path)


def build_artefact(kind: str, recipe: dict[str, Any]) -> dict[str, bytes]:
    """Build one recipe (on whichever process the executor picks); its files as bytes."""
    with tempfile.TemporaryDirectory(prefix=f"tts-interp-{kind}-") as tmp:
        STAGES[kind].build(recipe, Path(tmp))
        return read_tree(Path(tmp), "")


def is_built(source: Artefact, out: Path) -> bool:
    """Whether a recipe entry is already in OUT, built from the same recipe."""
    stage = source.out_dir(out) / STAGE_FILE
    return stage.is_file() and json.loads(stage.read_text()).get("recipe") == source.digest


def store_built(source: Artefact, out: Path, files: dict[str, bytes]) -> Path:
    """Write a built entry's files into OUT/<section>/<name>/, stage.json last (it marks it complete)."""
    directory = source.out_dir(out)
    directory.mkdir(parents=True, exist_ok=True)
    for rel, data in files.items():
        target = directory / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")  # shards may build it at once
        tmp.write_bytes(data)
        tmp.replace(target)
    write_json(directory / STAGE_FILE, {"name": source.name, "kind": source.kind, "recipe": source.digest,
                                        "build": source.build})
    return directory


def cell_file(source: Artefact, out: Path, config: Mapping[str, Any]) -> Path:
    """The file a cell reads from an entry (a path entry: under its own path; a recipe: as built into OUT)."""
    if source.path is None and not is_built(source, out):
        raise BadInputError(f"{source.kind} {source.name!r} has not been built into {out}")
    root = Path(source.path) if source.path is not None else source.out_dir(out)
    path = STAGES[source.kind].cell_file(root, config)
    if not path.is_file():
        raise BadInputError(f"{source.kind} {source.name!r} has no file {path.name} (at {path.parent})")
    return path


def artefact_of(artefacts: Mapping[str, Mapping[str, Artefact]], kind: str, name: Any) -> Artefact:
    """The entry a cell names, or one line listing the ones the suite defines."""
    defined = artefacts.get(kind, {})
    if name not in defined:
        raise UnknownNameError(f"{kind} (define it under '{STAGES[kind].section}:')", name, sorted(defined))
    return defined[name]
