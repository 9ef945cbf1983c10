"""Benchmark: start-up time of `tts-interp --help` and of `tts-interp COMMAND --help` for every command.

Each is a fresh interpreter, timed side by side with `python -c pass` (interleaved, median of --repeats) so
that the ratio holds on a loaded machine; the target is <= 1.0 s per help screen on this machine (the CLI
imports torch, transformers and nnsight only inside the command that needs them).
Usage: python benchmarks/cli_startup.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from typing import Any

from side_by_side import print_ratio

ENTRY = "from tts_interp.cli.app import main; main()"
TARGET_S = 1.0


def command_paths() -> list[list[str]]:
    """Every command and sub-command of the app, e.g. ['lens'], ['codes', 'probe']."""
    from typer.main import get_command

    from tts_interp.cli.app import app

    def walk(group: Any, prefix: list[str]) -> list[list[str]]:
        paths = []
        for name, command in sorted(group.commands.items()):
            paths.append(prefix + [name])
            if hasattr(command, "commands"):  # a sub-app (codes, suite, hspace)
                paths.extend(walk(command, prefix + [name]))
        return paths

    return walk(get_command(app), [])


def run_once(argv: list[str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one fresh interpreter running `argv`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    variants = {"python -c pass": [sys.executable, "-c", "pass"],
                "tts-interp --help": [sys.executable, "-c", ENTRY, "--help"]}
    for path in command_paths():
        variants[f"tts-interp {' '.join(path)} --help"] = [sys.executable, "-c", ENTRY, *path, "--help"]
    walls: dict[str, list[float]] = {name: [] for name in variants}
    cpus: dict[str, list[float]] = {name: [] for name in variants}
    for argv in variants.values():  # warm-up: file cache, .pyc
        run_once(argv)
    for _ in range(args.repeats):
        for name, argv in variants.items():
            wall, cpu = run_once(argv)
            walls[name].append(wall)
            cpus[name].append(cpu)
    wall = {name: statistics.median(values) for name, values in walls.items()}
    cpu = {name: statistics.median(values) for name, values in cpus.items()}
    base_wall, base_cpu = wall.pop("python -c pass"), cpu.pop("python -c pass")
    print(f"python -c pass: {base_wall:.3f} s wall, {base_cpu:.3f} s CPU (medians of {args.repeats}, interleaved; "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}: wall time grows with the load, CPU time "
          "does not)")
    for name in wall:
        flag = "ok" if wall[name] <= TARGET_S else "OVER"
        print(f"  {name:36s} {wall[name]:6.3f} s wall  ratio {wall[name] / base_wall:5.1f}x   {cpu[name]:6.3f} s CPU  "
              f"ratio {cpu[name] / max(base_cpu, 1e-3):5.1f}x   {flag} (target <= {TARGET_S} s)")
        print_ratio(f"cli_{name.replace(' ', '_').replace('-', '')}_vs_python", wall[name] / base_wall)
    worst = max(wall, key=wall.get)
    print(f"slowest: {worst}: {wall[worst]:.3f} s wall = {wall[worst] / base_wall:.1f}x python -c pass; "
          f"{sum(s > TARGET_S for s in wall.values())} of {len(wall)} over {TARGET_S} s wall; CPU at most "
          f"{max(cpu.values()):.3f} s")


if __name__ == "__main__":
    main()
