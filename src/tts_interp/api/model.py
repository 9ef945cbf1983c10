"""`load` and `Model`: one loaded model of any family, with the same calls for every family.

A Model wraps the family's adapter (models/<family>/adapter.py) and the tracing engine. `generate` turns keyword
arguments into the family's request (what to say, in which voice) and settings (seed, decoding or sampling), runs
it through the family's `run` hook with `reads=` and `edits=`, and returns a `Run`. Nothing here names a family:
a family declares its request and settings types (`request_type`, `settings_type`) and its capabilities.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from tts_interp.api.run import Run
from tts_interp.core.errors import BadInputError, CapabilityError

# what each family-only operation is called here, and the capability it needs
OPERATIONS = {"generate": "run", "lens": "lens", "teacher_force": "teacher_force", "transcribe": "transcribe"}


def load(model: str, device: str = "cpu", dtype: str = "float32", needs: Sequence[str] = ()) -> Model:
    """Load a model: a built-in id (`tts-interp models`), a local checkpoint directory or a hub id (from the
    Hugging Face cache). Raises one clear error for an unknown id or missing weights, and, before loading, for
    a model lacking a capability in `needs` (e.g. ("run",) to generate)."""
    from tts_interp.interventions.session import Session

    return Model(Session(model, device, dtype, needs))


class Model:
    """A loaded model: `family`, `capabilities`, `sites()`, `generate()`; `adapter` and `engine` underneath."""

    def __init__(self, session: Any):
        self.session = session
        self.adapter = session.adapter
        self.engine = session.engine
        self.id: str = session.model

    def __repr__(self) -> str:
        return f"Model({self.id!r}, family={self.family!r})"

    @property
    def family(self) -> str:
        """The model family's registry name (kokoro, qwen3-tts, grad-tts, f5-tts, whisper)."""
        return str(self.adapter.family)

    @property
    def capabilities(self) -> frozenset[str]:
        """What this model can do (models/base.py CAPABILITIES)."""
        return frozenset(self.adapter.capabilities)

    @property
    def sample_rate(self) -> int:
        """The rate of the audio this model makes, in Hz."""
        return int(self.adapter.sample_rate)

    def require(self, operation: str) -> None:
        """Raise CapabilityError (naming the family and what it can do) unless this model can do `operation`."""
        needed = OPERATIONS.get(operation, operation)
        if needed not in self.capabilities:
            raise CapabilityError(self.id, self.family, operation, sorted(self.capabilities))

    def sites(self, pattern: str | None = None) -> list[str]:
        """Every site name, or those matching a shell-style pattern (`decoder.*`, `talker.layer.*.resid_out`; `*`
        spans dots): the names `tts-interp sites` prints and `reads=` / edits take."""
        from fnmatch import fnmatchcase

        from tts_interp.core.errors import UnknownNameError
        from tts_interp.tracing.sites import site_patterns

        names = list(self.adapter.sites())
        if pattern is None:
            return names
        matched = [name for name in names if fnmatchcase(name, pattern)]
        if not matched:
            raise UnknownNameError("site", pattern, site_patterns(self.adapter.sites()))
        return matched

    def voices(self) -> list[dict[str, Any]]:
        """The voices this model speaks in by name: Kokoro's voices with their labels (language, accent,
        gender), a CustomVoice model's speakers, a multi-speaker Grad-TTS's speaker indices. A model that
        clones from a reference clip (F5-TTS, a Base Qwen3-TTS) or speaks in one voice lists none."""
        if hasattr(self.adapter, "voices"):
            return [{"voice": v.name, "language": v.language, "accent": v.accent, "gender": v.gender}
                    for v in self.adapter.voices()]
        if hasattr(self.adapter, "speakers"):
            return [{"voice": str(name)} for name in self.adapter.speakers()]
        raise CapabilityError(self.id, self.family, "list voices (it speaks in a reference clip's voice or in one "
                              "voice)", sorted(self.capabilities))

    def voice_set(self, specs: Sequence[str]) -> list[str]:
        """Voice names from names and label filters: `af_heart`, `@en-us/female` (every voice whose labels
        include each `/`-joined word: a language, an accent or a gender); comma-joined specs are split."""
        from tts_interp.core.errors import UnknownNameError

        try:
            known = self.voices()
        except CapabilityError:  # a model without named voices: names go through, the model judges them
            known = []
        names: list[str] = []
        for token in (t.strip() for spec in specs for t in spec.split(",") if t.strip()):
            if token.startswith("@"):
                wanted = [w.lower() for w in token[1:].split("/") if w]
                matched = [v["voice"] for v in known if all(w in {str(x).lower() for x in v.values()} for w in wanted)]
                if not matched:
                    raise BadInputError(f"voice filter {token!r} matches no voice of {self.id}; filters combine "
                                        "labels of `tts-interp voices` (a language, an accent, a gender), e.g. "
                                        "@en-us/female")
                names += matched
            elif known and token not in {v["voice"] for v in known}:
                raise UnknownNameError("voice", token, [v["voice"] for v in known])
            else:
                names.append(token)
        return list(dict.fromkeys(names))

    def generate(self, text: str, *, seed: int = 0, reads: Sequence[str] = (), edits: Sequence[Any] = (),
                 **fields: Any) -> Run:
        """Speak `text`. `fields` are the family's prompt fields (Kokoro: voice, language, speed; Qwen3-TTS:
        instruct, speaker, ref_audio, ref_text, language; Grad-TTS: speaker) and settings (Qwen3-TTS:
        max_new_tokens, greedy, temperature...; denoisers: steps, temperature...). `reads`: sites (or patterns)
        whose activations the Run keeps; `edits`: Steer, Ablate, Erase or raw tracing Writes."""
        from tts_interp.tracing.engine import Read

        request, settings = self._request(text, seed, fields)
        names = [name for pattern in reads for name in self.sites(pattern)]
        return self.run(request, settings, [Read(n) for n in names], edits)

    def voice_request(self, text: str, voice: dict[str, Any], seed: int = 0, greedy: bool = False,
                      max_frames: int = 200) -> tuple[Any, Any]:
        """The family's request and settings from voice fields as the CLI and suites name them (speaker,
        instruct, ref_audio, ref_text, language: each family maps them, e.g. Kokoro's speaker is its voice) and
        decoding options (which a family without decoding ignores)."""
        self.require("generate")
        return self.adapter.request_of(text, voice), self.adapter.settings_of(seed, greedy, max_frames)

    def run(self, request: Any, settings: Any, reads: Sequence[Any] = (), edits: Sequence[Any] = (),
            store: Any = None, on_frame: Any = None) -> Run:
        """Run a prepared request (the family's request and settings types) with tracing `Read`s, edits, an
        optional store (e.g. a DiskStore streaming to disk) and `on_frame` (a tick per generated frame, for
        families that generate frame by frame)."""
        from tts_interp.interventions.running import prepare_checked

        self.require("generate")
        prompt = prepare_checked(self.adapter, request)
        for edit in edits:  # a patch aligns the run to its source first (same rows at every site)
            settings = edit.aligned(self, settings) if hasattr(edit, "aligned") else settings
        writes = [w for edit in edits for w in _writes_of(edit, self)]
        for op in [*reads, *writes]:
            self._check_selection(op.selection)
        progress = {"on_frame": on_frame} if on_frame is not None and "generate" in self.capabilities else {}
        raw = self.adapter.run(self.engine, prompt, settings, reads=list(reads), writes=writes, store=store,
                               **progress)
        return Run(self, request, settings, raw, tuple(r.site for r in reads))

    def _check_selection(self, selection: Any) -> None:
        """Refuse a selection field this family's sites never read (it would be silently ignored)."""
        allowed = self.adapter.selection_fields
        extra = [name for name in selection.given() if name not in allowed]
        if extra:
            raise BadInputError(f"{self.family} sites take no {', '.join(extra)} selection; they take "
                                f"{', '.join(allowed)}")

    def _request(self, text: str, seed: int, fields: dict[str, Any]) -> tuple[Any, Any]:
        """Split keyword arguments into the family's request and settings; refuse unknown ones by name."""
        self.require("generate")
        request_type, settings_type = self.adapter.request_type, self.adapter.settings_type
        request_names = {f.name for f in dataclasses.fields(request_type)} - {"text"}
        settings_names = {f.name for f in dataclasses.fields(settings_type)} - {"seed", "durations"}
        unknown = sorted(set(fields) - request_names - settings_names)
        if unknown:
            raise BadInputError(f"{self.family} models take no {', '.join(map(repr, unknown))}; valid: "
                                f"{', '.join(sorted(request_names | settings_names))}")
        request = request_type(text=text, **{k: v for k, v in fields.items() if k in request_names})
        settings = settings_type(seed=seed, **{k: v for k, v in fields.items() if k in settings_names})
        return request, settings


def _writes_of(edit: Any, model: Model) -> list[Any]:
    """An edit's tracing writes: an API edit (api/edits.py) knows how to make them; a Write is one."""
    from tts_interp.tracing.ops import Write

    if isinstance(edit, Write):
        return [edit]
    if hasattr(edit, "writes"):
        return list(edit.writes(model))
    raise BadInputError(f"{edit!r} is not an edit; give ti.Steer, ti.Ablate, ti.Erase, ti.Patch or a tracing "
                        "Write")
