"""Importing qwen_tts: torchaudio made importable first, and its import-time noise kept out of the user's way.

qwen_tts imports its unused 25 Hz tokenizer, which imports torchaudio and the `sox` wrapper (which shells out
to a `sox` binary and complains when there is none) and prints a flash-attn banner. None of that concerns
tts-interp; the output is shown only if the import fails.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
from collections.abc import Iterator
from types import ModuleType

from tts_interp.core.compat import ensure_torchaudio
from tts_interp.core.errors import TTSInterpError


@contextlib.contextmanager
def _captured_output() -> Iterator[io.StringIO]:
    """Capture Python-level and fd-level stdout/stderr (child shells write to the fds directly)."""
    buffer = io.StringIO()
    sys.stdout.flush()
    sys.stderr.flush()
    saved = {fd: os.dup(fd) for fd in (1, 2)}
    with tempfile.TemporaryFile(mode="w+b") as sink:
        try:
            for fd in (1, 2):
                os.dup2(sink.fileno(), fd)
            with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
                yield buffer
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            for fd, saved_fd in saved.items():
                os.dup2(saved_fd, fd)
                os.close(saved_fd)
            sink.seek(0)
            buffer.write(sink.read().decode(errors="replace"))


def import_qwen_tts() -> ModuleType:
    """Import and return the `qwen_tts` package, or fail with a one-line install hint."""
    if "qwen_tts" in sys.modules:
        return sys.modules["qwen_tts"]
    ensure_torchaudio()
    import logging

    sox_logger = logging.getLogger("sox")
    level = sox_logger.level
    sox_logger.setLevel(logging.ERROR)
    try:
        with _captured_output() as output:
            try:
                import qwen_tts
            except ImportError as exc:
                raise TTSInterpError(f"qwen-tts is not importable ({exc}); run `make setup` or "
                                     "`pip install --no-deps qwen-tts==0.1.1`") from None
    except TTSInterpError:
        sys.stderr.write(output.getvalue())
        raise
    finally:
        sox_logger.setLevel(level)
    return qwen_tts
