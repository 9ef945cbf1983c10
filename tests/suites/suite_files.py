"""Suite files for the experiment-suite tests (a module of its own: conftest is not importable by name)."""

from __future__ import annotations

from pathlib import Path

import yaml

MODEL = "tiny-qwen3-tts-customvoice"


def steer_suite(directory: Path, alphas: tuple[float, ...] = (0.0, 4.0), layers: tuple[int, ...] = (1, 2),
                recipe_text: str = "hello world") -> Path:
    """A suite that builds a direction (cleo - aria) and steers aria toward cleo: layers x alphas cells."""
    directory.mkdir(parents=True, exist_ok=True)
    suite = {
        "name": "steer-test", "seed": 0,
        "scoring": {"scorers": ["speaker", "prosody"], "device": "cpu", "batch_size": 4},
        "directions": {"to_cleo": {"model": MODEL, "method": "mean_diff", "text": recipe_text,
                                   "a": [{"speaker": "cleo"}], "b": [{"speaker": "aria"}], "max_new_tokens": 10,
                                   "device": "cpu"}},
        "resources": {"steer": {"num_cpus": 1}},
        "items": [{"kind": "steer", "model": MODEL, "text": "hello world", "speaker": "aria",
                   "target": {"speaker": "cleo"}, "max_new_tokens": 10, "device": "cpu",
                   "grid": {"direction": ["to_cleo"], "layer": list(layers), "alpha": list(alphas)}}],
    }
    path = directory / "suite.yaml"
    path.write_text(yaml.safe_dump(suite, sort_keys=False))
    return path
