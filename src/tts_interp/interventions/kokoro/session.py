"""A loaded Kokoro model with its engine, and runs written to a directory (models/kokoro/rundir.py)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from tts_interp.core.results import write_result
from tts_interp.interventions.session import Session
from tts_interp.models.kokoro.adapter import KokoroPrompt
from tts_interp.models.kokoro.rundir import write_forward_run
from tts_interp.models.kokoro.runs import ForwardRun, synthesize
from tts_interp.tracing.engine import Read
from tts_interp.tracing.ops import Write
from tts_interp.tracing.sites import resolve_sites
from tts_interp.tracing.store import DiskStore


class KokoroSession(Session):
    """A Session on a model that can `synthesize` (Kokoro-82M), with its run helpers."""

    def __init__(self, model: str = "kokoro-82m", device: str = "cpu"):
        super().__init__(model, device, "float32", needs=("synthesize",))
        self.model_id = model

    def prompts(self, text: str, voice: str, language: str | None = None, speed: float = 1.0) -> list[KokoroPrompt]:
        return self.adapter.prepare_chunks(text, voice, language, speed)

    def run(self, prompts: Sequence[KokoroPrompt], seed: int = 0, reads: Sequence[Read] = (),
            writes: Sequence[Write] = (), store: Any = None, durations: Sequence[torch.Tensor] | None = None,
            noise: bool = True) -> ForwardRun:
        return synthesize(self.engine, self.adapter, prompts, seed, reads, writes, store, durations, noise)


def write_run(out_dir: Path, session: KokoroSession, run: ForwardRun, extra: dict[str, Any] | None = None,
              seconds: float | None = None) -> dict[str, Any]:
    """audio.wav, alignment.lab (predicted durations) and result.json for one run."""
    return write_forward_run(out_dir, session.adapter, run, None, extra, seconds)


def generate_to_dir(session: KokoroSession, text: str, voice: str, out_dir: Path, seed: int = 0,
                    language: str | None = None, speed: float = 1.0, sites: Sequence[str] = (),
                    selection: Any = None, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Generate (and, with sites, trace into out_dir/activations) one utterance."""
    started = time.time()
    prompts = session.prompts(text, voice, language, speed)
    store = DiskStore(Path(out_dir) / "activations") if sites else None
    names = [spec.name for spec in resolve_sites(session.adapter.sites(), list(sites))] if sites else []
    reads = [Read(name, selection) if selection is not None else Read(name) for name in names]
    run = session.run(prompts, seed, reads, store=store)
    payload_extra = {"command": "trace" if sites else "generate", **(extra or {})}
    if sites:
        payload_extra.update(sites=list(store.sites()), activations="activations",
                             selection=reads[0].selection.to_json())
    return write_run(Path(out_dir), session, run, payload_extra, time.time() - started)


def replay_to_dir(payload: dict[str, Any], result_dir: Path, out_dir: Path, device: str = "cpu") -> dict[str, Any]:
    """Re-run a Kokoro generate/trace from its result.json config (model, text, voice, language, speed, seed);
    records whether the audio came out sample-for-sample identical."""
    import soundfile as sf

    from tts_interp.core.errors import BadInputError

    if payload.get("writes"):
        raise BadInputError(f"{result_dir / 'result.json'} records {len(payload['writes'])} activation writes; "
                            "replay steered cells with `tts-interp steer` and the direction file beside them")
    config = payload["config"]
    session = KokoroSession(config["model"], device)
    replayed = generate_to_dir(session, config["text"], config["voice"], out_dir, config["seed"], config["language"],
                               config["speed"], extra={"replay_of": str(result_dir / "result.json")})
    original = Path(result_dir) / "audio.wav"
    if original.is_file():
        same = bool(np.array_equal(sf.read(str(original))[0], sf.read(str(Path(out_dir) / "audio.wav"))[0]))
        replayed["identical_audio"] = same
        write_result(Path(out_dir), replayed)
    return replayed
