"""`Run`: what one generation gave, whatever the family: the audio, the read activations, and a way to save it
exactly as `tts-interp generate` writes a run directory."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np


def replay(result: str | Path, out_dir: str | Path) -> dict[str, Any]:
    """Re-run the generation a result.json records (its config: model, prompt, settings, device, dtype) and
    write it to `out_dir`; result.json then says whether the audio (and codes) came out identical."""
    import json

    from tts_interp.api.model import load
    from tts_interp.core.errors import BadInputError
    from tts_interp.core.results import write_result

    result = Path(result)
    try:
        payload = json.loads(result.read_text())
        config = payload["config"]
        model_id, prompt, settings = config["model"], config["prompt"], config["settings"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BadInputError(f"{result} is not the result.json of a generate or trace run ({exc})") from None
    if payload.get("writes"):
        raise BadInputError(f"{result} records {len(payload['writes'])} activation writes; replay steered cells "
                            "with `tts-interp steer` and the direction file saved beside them")
    model = load(model_id, config.get("device", "cpu"), config.get("dtype", "float32"), needs=("run",))
    adapter = model.adapter
    run = model.run(adapter.request_type(**prompt), adapter.settings_type.from_json(settings))
    again = run.save(out_dir, {"command": "replay", "replay_of": str(result)})
    for name in ("audio.wav", "codes.npy"):
        original, replayed = result.parent / name, Path(out_dir) / name
        if original.is_file() and replayed.is_file():
            key = "identical_audio" if name == "audio.wav" else "identical_codes"
            again[key] = original.read_bytes() == replayed.read_bytes()
    write_result(Path(out_dir), again)
    return again


class Run:
    """One generation: `audio` (1-D float32), `sample_rate`, `activations` (site -> rows (n, H), float32 CPU),
    `text`, and `raw` (the family's own run: codes, durations or the sampler's trajectory)."""

    def __init__(self, model: Any, request: Any, settings: Any, raw: Any, reads: tuple[str, ...] = ()):
        self.model, self.request, self.settings, self.raw = model, request, settings, raw
        self.reads = reads
        self._audio: np.ndarray | None = None

    def __repr__(self) -> str:
        return f"Run({self.model.id!r}, {self.text!r}, {len(self.audio) / self.sample_rate:.2f} s)"

    @property
    def text(self) -> str:
        """What the run was asked to say."""
        return str(self.request.text)

    @property
    def sample_rate(self) -> int:
        """The audio's rate in Hz (the model's)."""
        return self.model.sample_rate

    @property
    def audio(self) -> np.ndarray:
        """The waveform, 1-D float32 (decoded once, on first use, for families whose run holds codes or a mel)."""
        import numpy as np

        if self._audio is None:
            self._audio = np.asarray(self.model.adapter.run_audio(self.raw), dtype=np.float32).reshape(-1)
        return self._audio

    @property
    def activations(self) -> dict[str, Any]:
        """The rows read at each site of `reads=` (labelled by frame / step / token in `raw.store`)."""
        store = self.raw.store
        return {} if store is None else {site: store.get(site) for site in self.reads}

    def config(self) -> dict[str, Any]:
        """What was asked for: model, request, settings, device and dtype (enough to replay the run)."""
        session = self.model.session
        return {"model": self.model.id, "prompt": self.request.to_json(), "settings": self.settings.to_json(),
                "device": session.device, "dtype": session.dtype}

    def save(self, out_dir: str | Path, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        """Write the run directory (audio.wav, the family's codes / mel / alignment, result.json) as `tts-interp
        generate` does; returns result.json's payload."""
        return self.model.adapter.write_run(Path(out_dir), self.raw, self.config(), extra)
