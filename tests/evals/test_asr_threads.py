"""Loading the CTranslate2 recognizer leaves torch's thread count alone: it resets OpenMP's, which torch shares, so
a Kokoro run after scoring came out on another thread count, with other float rounding (seen in the walkthrough)."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import torch
torch.set_num_threads(1)
import tts_interp as ti
ti.load("tiny-grad-tts")  # with a model loaded first, CTranslate2's load was seen to set 2 threads
from tts_interp.evals.asr import FasterWhisperBackend
FasterWhisperBackend(torch.device("cpu"))
print(torch.get_num_threads())
"""


def test_loading_the_recognizer_keeps_the_callers_torch_threads(private_cache: None) -> None:
    done = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "1"
