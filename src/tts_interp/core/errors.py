"""User-facing errors: each carries one clear line that the CLI prints instead of a traceback."""

from __future__ import annotations

from collections.abc import Iterable


class TTSInterpError(Exception):
    """An error caused by the user's input or environment, with a message meant to be read as is."""


class UnknownNameError(TTSInterpError):
    """A name (model, site, segment, backend, ...) that is not among the valid choices."""

    def __init__(self, kind: str, value: object, valid: Iterable[object]):
        valid_list = [str(v) for v in valid]
        shown = ", ".join(valid_list[:40]) + (f", ... ({len(valid_list)} in all)" if len(valid_list) > 40 else "")
        super().__init__(f"unknown {kind} {value!r}; valid: {shown}")
        self.kind, self.value, self.valid = kind, value, valid_list


class OutOfRangeError(TTSInterpError):
    """A number (layer, frame, codebook, ...) outside its valid range."""

    def __init__(self, kind: str, value: object, valid_range: str):
        super().__init__(f"{kind} {value} is out of range; valid: {valid_range}")


class BadInputError(TTSInterpError):
    """Input that is malformed or empty (text, audio, a config value)."""


class WeightsNotFoundError(TTSInterpError):
    """Model weights that are neither local, nor in the Hugging Face cache, nor downloadable."""


class CapabilityError(BadInputError):
    """A family-only operation asked of a model whose family cannot do it."""

    def __init__(self, model: str, family: str, operation: str, can: Iterable[str]):
        self.family, self.operation = family, operation
        super().__init__(f"{model!r} is a {family} model, which cannot {operation}; it can: {', '.join(can)}")
