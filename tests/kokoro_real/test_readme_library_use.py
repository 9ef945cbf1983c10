"""The README's "Library use" code block runs as written (it must not drift from the API)."""

from __future__ import annotations

import os
import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readmes_library_use_block_runs(private_cache: None, tmp_path: Path) -> None:
    text = README.read_text()
    section = text[text.index("Library use"):]
    block = re.search(r"```python\n(.*?)```", section, re.S)
    assert block is not None
    here = Path.cwd()
    os.chdir(tmp_path)
    try:
        exec(compile(block.group(1), "README.md", "exec"), {})  # noqa: S102 - our own README's example
    finally:
        os.chdir(here)
    assert (tmp_path / "runs" / "steered" / "audio.wav").is_file()
