"""Fixtures for experiment suites: a tiny identity-steering suite, its local run, and a loopback Ray cluster."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
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


@pytest.fixture(scope="session")
def steer_suite_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return steer_suite(tmp_path_factory.mktemp("steer-suite"))


@pytest.fixture(scope="session")
def local_run(steer_suite_path: Path, tmp_path_factory: pytest.TempPathFactory,
              private_cache: None) -> tuple[Path, dict[str, Any]]:
    """The steering suite run once in-process: its OUT and the run summary."""
    from tts_interp.suites.runner import run_suite

    out = tmp_path_factory.mktemp("steer-local") / "out"
    return out, run_suite(steer_suite_path, out)


@pytest.fixture(scope="session")
def ray_cluster(private_cache: None) -> Any:
    """A real single-node Ray cluster on 127.0.0.1 with two worker slots, dashboard off; shut down at the end."""
    import ray

    ray.init(address="local", num_cpus=2, num_gpus=0, include_dashboard=False, _node_ip_address="127.0.0.1",
             object_store_memory=100 * 1024 * 1024, log_to_driver=False, configure_logging=False)
    yield ray
    ray.shutdown()
