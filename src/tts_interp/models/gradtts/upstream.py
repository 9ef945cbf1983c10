"""Importing the upstream `grad-tts` package (a PyPI fork of the official Grad-TTS code) on a modern stack.

Two things stand in the way, neither needed for synthesis: its compiled `monotonic_align` (alignment search,
used only in training) is built against numpy 1.x and fails to import under numpy 2; and its text and
HiFi-GAN modules call `pkg_resources`, which setuptools >= 81 no longer ships. So `monotonic_align` is always
replaced by a stand-in whose `maximum_path` raises (tts-interp never trains), and where `pkg_resources` is
missing a stand-in resolves `resource_filename` next to the named module's file. The package's own model
and text classes are then imported unchanged.
"""

from __future__ import annotations

import importlib
import sys
import types
from importlib import util
from pathlib import Path
from typing import Any

from tts_interp.core.errors import TTSInterpError

_MONOTONIC_ALIGN = "grad_tts.model.monotonic_align"


def _pkg_resources_module() -> types.ModuleType:
    module = types.ModuleType("pkg_resources")

    def resource_filename(module_name: str, resource: str) -> str:
        spec = util.find_spec(module_name)
        if spec is None or spec.origin is None:
            raise ImportError(f"cannot locate module {module_name} to find {resource}")
        return str(Path(spec.origin).parent / resource)

    module.resource_filename = resource_filename  # type: ignore[attr-defined]
    return module


def _monotonic_align_module() -> types.ModuleType:
    module = types.ModuleType(_MONOTONIC_ALIGN)

    def maximum_path(*_: Any, **__: Any) -> Any:
        raise TTSInterpError("monotonic alignment search is only needed to train Grad-TTS; its compiled module "
                             "does not load with this numpy, and tts-interp does not train")

    module.maximum_path = maximum_path  # type: ignore[attr-defined]
    return module


def import_grad_tts() -> types.ModuleType:
    """Import and return `grad_tts` (with stand-ins only where the real modules fail), or fail with a hint."""
    if "grad_tts.model.diffusion" in sys.modules:
        return sys.modules["grad_tts"]
    try:
        importlib.import_module("pkg_resources")
    except ImportError:
        sys.modules["pkg_resources"] = _pkg_resources_module()
    if util.find_spec("grad_tts") is None:
        raise TTSInterpError("grad-tts is not installed; run `make setup` or `pip install --no-deps grad-tts==0.0.4`")
    sys.modules[_MONOTONIC_ALIGN] = _monotonic_align_module()
    import grad_tts
    import grad_tts.model.diffusion  # noqa: F401
    import grad_tts.model.hifi_gan.models  # noqa: F401
    import grad_tts.model.text_encoder  # noqa: F401
    import grad_tts.model.utils  # noqa: F401
    import grad_tts.text  # noqa: F401

    return grad_tts
