"""Resolving `--device auto|cpu|cuda` and `--dtype float32|bfloat16` to torch objects; torch threads held for a block."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch

from tts_interp.core.errors import TTSInterpError, UnknownNameError

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16}
DEVICES = ("auto", "cpu", "cuda")


def resolve_device(name: str) -> torch.device:
    """`auto` picks CUDA when there is one; asking for CUDA without one is a clear error."""
    if name not in DEVICES and not name.startswith("cuda:"):
        raise UnknownNameError("device", name, DEVICES)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise TTSInterpError(f"device {name!r} was asked for but torch sees no CUDA GPU; use --device cpu")
    return torch.device(name)


def resolve_dtype(name: str) -> torch.dtype:
    """Map a dtype name to torch; only float32 and bfloat16 (float16 overflows in Qwen3-TTS)."""
    if name not in DTYPES:
        raise UnknownNameError("dtype", name, DTYPES)
    return DTYPES[name]


@contextmanager
def torch_threads(count: int | None = None) -> Iterator[None]:
    """Run with `count` torch threads (None: the current number, kept against libraries that reset OpenMP's, such
    as CTranslate2 when it loads a model), then restore the previous setting."""
    before = torch.get_num_threads()
    torch.set_num_threads(max(1, count or before))
    try:
        yield
    finally:
        torch.set_num_threads(before)
