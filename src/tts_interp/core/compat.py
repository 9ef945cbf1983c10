"""torchaudio on CPU torch: use the real C++ extension where it loads, else run torchaudio in pure Python.

PyPI's newest torchaudio is a CUDA build; under CPU torch its extension fails to load (`libc10_cuda.so`),
and `import torchaudio` raises. speechbrain and qwen-tts import torchaudio at import time, yet only use its
pure-Python parts (functional ops, transforms, resample, kaldi fbank). So: try the real import first; only
if it fails, register a stand-in `torchaudio._extension` that reports the extension as absent, and import
again. Call `ensure_torchaudio()` before importing anything that imports torchaudio.
"""

from __future__ import annotations

import functools
import sys
import types
from collections.abc import Callable
from typing import Any

_state: dict[str, bool] = {}


def _no_extension_module() -> types.ModuleType:
    module = types.ModuleType("torchaudio._extension")

    def fail_if_no_align(func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def unavailable(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError(f"torchaudio.{func.__name__} needs torchaudio's C++ extension, which is not "
                               "loadable with this torch build")
        return unavailable

    module._IS_TORCHAUDIO_EXT_AVAILABLE = False
    module._IS_ALIGN_AVAILABLE = False
    module.fail_if_no_align = fail_if_no_align
    module._check_cuda_version = lambda *a, **k: None
    module._load_lib = lambda *a, **k: False
    return module


def ensure_torchaudio() -> bool:
    """Make `import torchaudio` work; return True if the real C++ extension is in use."""
    if "real_extension" in _state:
        return _state["real_extension"]
    try:
        import torchaudio  # noqa: F401

        _state["real_extension"] = True
        return True
    except (OSError, ImportError, RuntimeError):
        for name in [m for m in sys.modules if m == "torchaudio" or m.startswith("torchaudio.")]:
            del sys.modules[name]
    sys.modules["torchaudio._extension"] = _no_extension_module()
    import torchaudio  # noqa: F401,F811

    _state["real_extension"] = False
    return False
