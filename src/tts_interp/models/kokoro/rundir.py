"""A Kokoro run written to a directory: audio.wav, alignment.lab (predicted durations) and result.json.

Every result.json records the weights' provenance (`int8-dequantized` + the ONNX sha256, or `original`), the
phonemes and language, the voice (or mix), the seed and the writes, so a run can be replayed and no finding on
the int8 build is mistaken for one on the original weights.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tts_interp import __version__
from tts_interp.core.audio import write_wav
from tts_interp.core.results import write_result
from tts_interp.data.alignments import write_lab
from tts_interp.models.kokoro.alignment import alignment
from tts_interp.models.kokoro.runs import ForwardRun


def run_config(model_id: str, run: ForwardRun) -> dict[str, Any]:
    """What was asked for (model, text, voice, language, speed, seed): enough to replay the run."""
    first = run.prompts[0]
    text = " ".join(p.chunk.text for p in run.prompts)
    request = run.prompt.request.to_json() if run.prompt is not None else \
        {"text": text, "voice": first.voice, "language": first.language, "speed": first.speed}
    return {"model": model_id, "text": text, "voice": first.voice, "language": first.language, "speed": first.speed,
            "seed": run.seed, "prompt": request,
            "settings": run.settings.to_json() if run.settings is not None else {"seed": run.seed, "durations": None}}


def write_forward_run(out_dir: Path, adapter: Any, run: ForwardRun, config: dict[str, Any] | None = None,
                      extra: dict[str, Any] | None = None, seconds: float | None = None) -> dict[str, Any]:
    """audio.wav, alignment.lab and result.json for one run (`config`: default the run's own, see run_config)."""
    out_dir = Path(out_dir)
    write_wav(out_dir / "audio.wav", run.audio.numpy(), adapter.sample_rate)
    write_lab(out_dir / "alignment.lab", alignment(run.prompts, run.durations, adapter.frame_seconds))
    payload = {"tts_interp": __version__, "model": adapter.describe(), "provenance": adapter.provenance,
               "config": {**run_config(adapter.model_id, run), **(config or {})},
               "chunks": [p.to_json() for p in run.prompts],
               "durations": [[int(d) for d in track] for track in run.durations],
               "frame_seconds": adapter.frame_seconds, "audio_seconds": len(run.audio) / adapter.sample_rate,
               "alignment": "alignment.lab", "files": {"audio": "audio.wav", "alignment": "alignment.lab"},
               "writes": [w.to_json() for w in run.writes],
               "notes": [n for p in run.prompts for n in p.notes], **(extra or {})}
    if seconds is not None:
        payload["seconds"] = round(seconds, 3)
    write_result(out_dir, payload)
    return payload
