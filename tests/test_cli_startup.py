"""The CLI starts fast: importing the app and printing any command's --help loads no heavy library.

Wall time is measured by benchmarks/cli_startup.py, never asserted here; this checks the cause instead:
which modules a fresh interpreter has loaded after building every help screen.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HEAVY = ("torch", "transformers", "nnsight", "numpy", "scipy", "matplotlib", "sklearn", "librosa",
         "speechbrain", "safetensors", "qwen_tts", "faster_whisper")
SRC = Path(__file__).resolve().parents[1] / "src"

PROBE = f"""
import json, sys
from typer.testing import CliRunner
from typer.main import get_command
from tts_interp.cli.app import app
after_import = [m for m in {HEAVY!r} if m in sys.modules]

def walk(group, prefix):
    for name, command in sorted(group.commands.items()):
        yield prefix + [name]
        if hasattr(command, "commands"):
            yield from walk(command, prefix + [name])

runner = CliRunner()
paths = [[]] + list(walk(get_command(app), []))
codes = {{" ".join(p): runner.invoke(app, p + ["--help"]).exit_code for p in paths}}
print(json.dumps({{"after_import": after_import, "after_help": [m for m in {HEAVY!r} if m in sys.modules],
                  "exit_codes": codes}}))
"""


def test_cli_import_and_every_help_screen_load_no_heavy_library() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": str(SRC)})
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    assert probe["after_import"] == [], f"importing tts_interp.cli.app loads {probe['after_import']}"
    assert probe["after_help"] == [], f"--help screens load {probe['after_help']}"
    codes = probe["exit_codes"]
    assert len(codes) >= 20 and set(codes.values()) == {0}, codes
