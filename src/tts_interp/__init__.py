"""tts-interp: a mechanistic intervention engine for text-to-speech models.

    import tts_interp as ti
    model = ti.load("kokoro-82m")                       # any built-in id, local dir or hub id
    run = model.generate("Hello there.", voice="af_heart", reads=["decoder.decode.3"])
    run.audio, run.sample_rate, run.activations["decoder.decode.3"]

Importing this package is cheap: the names below load their modules (and torch) on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_PUBLIC = {"load": "tts_interp.api.model", "Model": "tts_interp.api.model", "Run": "tts_interp.api.run",
           "replay": "tts_interp.api.run", "Direction": "tts_interp.api.directions", "Steer": "tts_interp.api.edits",
           "Ablate": "tts_interp.api.edits", "Erase": "tts_interp.api.edits", "Patch": "tts_interp.api.edits",
           "score": "tts_interp.api.scoring", "Scores": "tts_interp.api.scoring",
           "CapabilityError": "tts_interp.core.errors"}
__all__ = ["Ablate", "CapabilityError", "Direction", "Erase", "Model", "Patch", "Run", "Scores", "Steer",
           "__version__", "load", "replay", "score"]

if TYPE_CHECKING:
    from tts_interp.api.directions import Direction
    from tts_interp.api.edits import Ablate, Erase, Patch, Steer
    from tts_interp.api.model import Model, load
    from tts_interp.api.run import Run, replay
    from tts_interp.api.scoring import Scores, score
    from tts_interp.core.errors import CapabilityError


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use (PEP 562), so `import tts_interp` stays cheap."""
    if name not in _PUBLIC:
        raise AttributeError(f"module 'tts_interp' has no attribute {name!r}")
    return getattr(importlib.import_module(_PUBLIC[name]), name)


def __dir__() -> list[str]:
    return sorted(__all__)
