"""Write the state-dict layout (key -> shape) of the official Grad-TTS checkpoints to a JSON fixture.

Source, either:
- a checkout of the official code (github.com/huawei-noah/Speech-Backbones, folder Grad-TTS) as of the
  checkpoints' release (2021): the model is built with the released hyper-parameters (params.py; n_spks 1 for
  LJSpeech `grad-tts.pt`, 247 for LibriTTS `grad-tts-libri-tts.pt`), exactly as its inference.py does; and
  optionally a checkout from after commit 5611ea8 (2023), whose text encoder also sees the speaker embedding
  (the layout of multi-speaker models trained with that code), or
- released checkpoint files (`.pt`), read directly.

Usage: python scripts/dump_gradtts_keys.py --official-code SB-7782c7a/Grad-TTS [--later-code SB-5611ea8/Grad-TTS] OUT
       python scripts/dump_gradtts_keys.py --checkpoint grad-tts.pt --checkpoint grad-tts-libri-tts.pt OUT.json
The committed tests/diffusion/fixtures/gradtts_official_keys.json was made with the first form from
Speech-Backbones commits 7782c7a and 5611ea8.
"""

from __future__ import annotations

import argparse
import json
import sys
import types
from pathlib import Path

import torch

# params.py of the official code: the released models' hyper-parameters (n_vocab = len(symbols) + 1)
RELEASED = {"grad-tts.pt": 1, "grad-tts-libri-tts.pt": 247}


def from_official_code(code_dir: Path, released: dict[str, int]) -> dict[str, dict[str, list[int]]]:
    for name in [m for m in sys.modules if m == "model" or m.startswith("model.")]:
        del sys.modules[name]
    sys.path.insert(0, str(code_dir))
    stub = types.ModuleType("model.monotonic_align")  # compiled with Cython in the official set-up; unused here
    stub.maximum_path = None
    sys.modules["model.monotonic_align"] = stub
    from model import GradTTS  # type: ignore[import-not-found]

    layouts = {}
    for name, n_spks in released.items():
        model = GradTTS(149, n_spks, 64, 192, 768, 256, 2, 6, 3, 0.1, 4, 80, 64, 0.05, 20.0, 1000)
        layouts[name] = {k: list(v.shape) for k, v in model.state_dict().items()}
    sys.path.remove(str(code_dir))
    return layouts


def from_checkpoints(paths: list[Path]) -> dict[str, dict[str, list[int]]]:
    return {p.name: {k: list(v.shape) for k, v in torch.load(str(p), map_location="cpu").items()} for p in paths}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--official-code", type=Path)
    parser.add_argument("--later-code", type=Path)
    parser.add_argument("--checkpoint", type=Path, action="append", default=[])
    args = parser.parse_args()
    if args.official_code:
        layouts = from_official_code(args.official_code, RELEASED)
        if args.later_code:
            layouts |= from_official_code(args.later_code, {"multispeaker-code-after-5611ea8": 247})
    else:
        layouts = from_checkpoints(args.checkpoint)
    args.out.write_text(json.dumps(layouts, sort_keys=True, separators=(",", ":")) + "\n")
    print({name: len(keys) for name, keys in layouts.items()})


if __name__ == "__main__":
    main()
