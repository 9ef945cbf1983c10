"""Importing the model half of the upstream `f5_tts` package without its training stack.

`f5_tts.model/__init__.py` imports the trainer, which imports wandb, datasets and ema_pytorch (none needed to
sample). So `f5_tts.model` is registered as a bare package object pointing at the installed directory, and
only `cfm`, `backbones.dit`, `modules` and `utils` are imported from it, unchanged. torchaudio (imported by
`modules` and by vocos) is made importable first.
"""

from __future__ import annotations

import sys
import types
from importlib import util
from pathlib import Path

from tts_interp.core.compat import ensure_torchaudio
from tts_interp.core.errors import TTSInterpError


def import_f5_tts() -> types.ModuleType:
    """Import and return `f5_tts.model` (CFM, DiT and helpers importable beneath it), or fail with a hint."""
    if "f5_tts.model.cfm" in sys.modules:
        return sys.modules["f5_tts.model"]
    spec = util.find_spec("f5_tts")
    if spec is None or not spec.submodule_search_locations:
        raise TTSInterpError("f5-tts is not installed; run `make setup` or `pip install --no-deps f5-tts==1.1.22`")
    ensure_torchaudio()
    if "f5_tts.model" not in sys.modules:
        package = types.ModuleType("f5_tts.model")
        package.__path__ = [str(Path(next(iter(spec.submodule_search_locations))) / "model")]
        sys.modules["f5_tts.model"] = package
    try:
        import f5_tts.model.backbones.dit  # noqa: F401
        import f5_tts.model.cfm  # noqa: F401
        import f5_tts.model.utils  # noqa: F401
    except ImportError as exc:
        raise TTSInterpError(f"f5-tts's model code does not import ({exc}); run `make setup`") from None
    return sys.modules["f5_tts.model"]


def configs_dir() -> Path:
    """The `configs/` folder shipped in the f5-tts wheel (model presets such as F5TTS_v1_Base.yaml)."""
    spec = util.find_spec("f5_tts")
    if spec is None or not spec.submodule_search_locations:
        raise TTSInterpError("f5-tts is not installed; run `make setup`")
    return Path(next(iter(spec.submodule_search_locations))) / "configs"
