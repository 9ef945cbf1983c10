"""Fixtures for experiment suites: a tiny identity-steering suite, its local run, and a loopback Ray cluster."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from suite_files import steer_suite  # the folder has no __init__: pytest puts it on sys.path


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
