"""Executors: where a suite's jobs run. `local` (in this process, in order) or `ray` (tasks on a Ray cluster).

Both take jobs (a payload plus num_cpus / num_gpus) and a module-level function, and hand each finished
result to `on_done` in the driver, which alone writes OUT. Under Ray every job is a task with those
resources (Ray sets CUDA_VISIBLE_DEVICES for a task given GPUs); a task whose worker dies is retried by Ray
(`max_retries`), and a job that still fails is reported as lost, not written, so a rerun does it again.
Workers keep models in a per-process cache, so each worker process loads a model once.

`ray` with no address starts a private single-node cluster on 127.0.0.1 (dashboard off) and stops it at the
end; with `--address HOST:PORT` (or `auto`) it joins a running cluster (see the README) and leaves it up.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tts_interp
from tts_interp.core.errors import BadInputError, UnknownNameError

EXECUTORS = ("local", "ray")
TASK_RETRIES = 3
FORWARDED_ENV = ("TTS_INTERP_CACHE", "HF_HUB_OFFLINE", "HF_HOME", "TRANSFORMERS_OFFLINE")


@dataclass(frozen=True)
class Job:
    """One unit the executor schedules: a payload for the function, and what it needs."""

    label: str
    payload: dict[str, Any]
    num_cpus: float = 1.0
    num_gpus: float = 0.0


@dataclass(frozen=True)
class Lost:
    """A job that did not finish (its worker died more than TASK_RETRIES times, or it raised)."""

    label: str
    reason: str


OnDone = Callable[[Job, Any], None]


class LocalExecutor:
    """Runs every job in this process, one after another."""

    name = "local"

    def map(self, fn: Callable[[dict[str, Any]], Any], jobs: Sequence[Job], on_done: OnDone) -> list[Lost]:
        for job in jobs:
            on_done(job, fn(job.payload))
        return []

    def describe(self) -> dict[str, Any]:
        return {"executor": "local"}

    def close(self) -> None:
        return None


class RayExecutor:
    """Runs every job as a Ray task; results come back to the driver as they finish."""

    name = "ray"

    def __init__(self, address: str | None = None):
        try:
            import ray
        except ImportError:
            raise BadInputError("--executor ray needs the `ray` package (pip install ray); or use --executor "
                                "local") from None
        self.ray, self.address, self.started = ray, address, False
        if not ray.is_initialized():
            if address:
                ray.init(address=address, log_to_driver=False, configure_logging=False)
            else:
                ray.init(address="local", _node_ip_address="127.0.0.1", include_dashboard=False,
                         log_to_driver=False, configure_logging=False)
                self.started = True

    def _runtime_env(self) -> dict[str, Any]:
        """For a cluster on this machine: workers import this very tts_interp and use this cache."""
        if self.address:
            return {}
        env = {name: os.environ[name] for name in FORWARDED_ENV if name in os.environ}
        root = str(Path(tts_interp.__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)
        return {"env_vars": env}

    def map(self, fn: Callable[[dict[str, Any]], Any], jobs: Sequence[Job], on_done: OnDone) -> list[Lost]:
        ray = self.ray
        remote = ray.remote(fn)
        runtime_env = self._runtime_env()
        pending = {remote.options(num_cpus=job.num_cpus, num_gpus=job.num_gpus, max_retries=TASK_RETRIES,
                                  runtime_env=runtime_env, name=f"tts-interp:{job.label}").remote(job.payload): job
                   for job in jobs}
        lost: list[Lost] = []
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                job = pending.pop(ref)
                try:
                    result = ray.get(ref)
                except ray.exceptions.RayError as exc:
                    lost.append(Lost(job.label, f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}"))
                    continue
                on_done(job, result)
        return lost

    def describe(self) -> dict[str, Any]:
        resources = self.ray.cluster_resources()
        return {"executor": "ray", "address": self.address or "private local cluster on 127.0.0.1",
                "ray_version": self.ray.__version__, "cluster_cpus": resources.get("CPU", 0),
                "cluster_gpus": resources.get("GPU", 0), "nodes": len(self.ray.nodes())}

    def close(self) -> None:
        if self.started:
            self.ray.shutdown()


def check_executor(name: str, address: str | None = None) -> None:
    """Refuse an unknown executor, or an address given to the local one (before anything is written)."""
    if name not in EXECUTORS:
        raise UnknownNameError("executor", name, EXECUTORS)
    if name == "local" and address:
        raise BadInputError(f"--address {address!r} is for --executor ray; the local executor runs in-process")


def make_executor(name: str, address: str | None = None) -> LocalExecutor | RayExecutor:
    """The executor called `name` (Ray: joined or started now)."""
    check_executor(name, address)
    return LocalExecutor() if name == "local" else RayExecutor(address)
