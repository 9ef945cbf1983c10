"""One loaded model of any family with its tracing engine, reused across many runs: the `Session`.

Every experiment takes a Session. A command states what it needs from the model (`needs=("teacher_force",)`),
and a model whose family lacks it is refused in one line naming the family, before its weights are loaded.
This module imports no torch at import time, so the CLI can name it cheaply.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tts_interp.core.errors import BadInputError


class Session:
    """A loaded model (`adapter`) and its nnsight engine; `device` and `dtype` as given (for replay)."""

    def __init__(self, model: str, device: str = "auto", dtype: str = "float32", needs: Sequence[str] = ()):
        from tts_interp.core.device import resolve_device, resolve_dtype
        from tts_interp.models.registry import load_model
        from tts_interp.tracing.engine import Engine

        self.model = model
        self.adapter: Any = load_model(model, resolve_device(device), resolve_dtype(dtype), tuple(needs))
        self.engine = Engine()
        self.device, self.dtype = device, dtype

    def site(self, name: str) -> Any:
        """The one SiteSpec a name gives (a pattern matching several sites is refused)."""
        from tts_interp.tracing.sites import resolve_site

        specs = resolve_site(self.adapter.sites(), name)
        if len(specs) != 1:
            raise BadInputError(f"give one site, not a pattern: {name!r} matches {len(specs)}")
        return specs[0]

    def site_dim(self, name: str) -> int:
        return int(self.site(name).dim)

    def is_conditioning(self, name: str) -> bool:
        """Whether a site runs once per utterance before sampling (text encoder, speaker embedding)."""
        return self.site(name).clock == "conditioning"
