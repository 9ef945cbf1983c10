"""The Ray executor on a real loopback cluster: same rows as in-process, and a killed worker loses nothing."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import psutil
import torch

from tts_interp.interventions.directions.direction import load_direction
from tts_interp.suites.runner import run_suite


def _rows(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "results" / "shard-0-of-1.jsonl").read_text().splitlines()]


def _kill_a_busy_worker(done: threading.Event, timeout: float) -> str | None:
    """SIGKILL the first Ray worker seen running a steer cell of this session's cluster; its title."""
    deadline = time.time() + timeout
    while not done.is_set() and time.time() < deadline:
        for proc in psutil.Process().children(recursive=True):
            try:
                title = " ".join(proc.cmdline())
            except psutil.Error:
                continue
            if title.startswith("ray::tts-interp:steer-"):
                proc.kill()
                return title
        time.sleep(0.05)
    return None


def test_ray_gives_the_local_rows_even_when_a_worker_is_killed(ray_cluster, local_run, steer_suite_path: Path,
                                                               tmp_path: Path) -> None:
    local_out, _ = local_run
    out = tmp_path / "ray-out"
    outcome: dict[str, Any] = {}
    done = threading.Event()

    def drive() -> None:
        try:
            outcome["summary"] = run_suite(steer_suite_path, out, executor="ray")
        except BaseException as exc:  # handed to the test thread below
            outcome["error"] = exc
        finally:
            done.set()

    driver = threading.Thread(target=drive)
    driver.start()
    killed = _kill_a_busy_worker(done, timeout=240)
    driver.join(timeout=400)
    assert not driver.is_alive() and "error" not in outcome, outcome.get("error")
    assert killed is not None, "no worker was caught mid-cell, so nothing was killed"

    summary = outcome["summary"]
    assert summary["executor"]["executor"] == "ray" and summary["executor"]["cluster_cpus"] == 2
    assert summary["n_scored_now"] == 4 and summary["n_lost_now"] == 0 and summary["lost_jobs"] == []
    ray_rows = _rows(out)
    assert len(ray_rows) == 4 and len({r["work_id"] for r in ray_rows}) == 4  # nothing lost, nothing twice
    local_rows = {r["work_id"]: r for r in _rows(local_out)}
    assert {r["work_id"]: r for r in ray_rows} == local_rows  # bit-identical rows, in any order
    for row in ray_rows:
        assert (out / row["audio"]).read_bytes() == (local_out / row["audio"]).read_bytes()
    built = [load_direction(o / "directions" / "to_cleo" / "direction.safetensors") for o in (out, local_out)]
    assert built[0].sites == built[1].sites
    assert all(torch.equal(built[0].vectors[s], built[1].vectors[s]) for s in built[0].sites)
    assert run_suite(steer_suite_path, out, executor="ray")["n_scored_now"] == 0  # resumes as a no-op
