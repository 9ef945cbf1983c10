"""The CLI's last line of defence: every exception becomes one line on stderr and an exit code.

Input errors (the project's own `TTSInterpError`, and files the user named that cannot be opened) print one
red line and exit 2. Anything else is an internal error: the full traceback goes to a log file under the
cache (`logs/`), the console gets one line naming that file, and the exit code is 1. Ctrl-C exits 130; rows
already written stay written.
"""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Callable

from rich.console import Console

from tts_interp.core.errors import TTSInterpError
from tts_interp.core.paths import cache_dir

INPUT_ERRORS = (TTSInterpError, FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError)


def write_log(exc: BaseException) -> str:
    """Write the traceback of `exc` (and the command line) to a new log file; its path."""
    try:
        folder = cache_dir() / "logs"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"error-{time.strftime('%Y%m%d-%H%M%S')}-{id(exc) % 10_000:04d}.log"
        path.write_text("command: " + " ".join(sys.argv) + "\n\n"
                        + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
        return str(path)
    except OSError as log_error:  # no writable cache: the traceback cannot be kept, say so
        return f"<no log: {log_error}>"


def run_guarded(app: Callable[[], None], console: Console) -> None:
    """Run `app`, mapping every exception to one line and an exit code (see the module docstring)."""
    try:
        app()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/yellow]: finished results are kept", highlight=False)
        sys.exit(130)
    except INPUT_ERRORS as exc:
        message = str(exc) if isinstance(exc, TTSInterpError) else f"{exc.strerror or exc}: {exc.filename}"
        console.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except Exception as exc:  # noqa: BLE001 - the one place that turns any failure into a line + a log
        summary = str(exc).splitlines()[0][:200] if str(exc) else ""
        console.print(f"[red]internal error:[/red] {type(exc).__name__}: {summary} (traceback in {write_log(exc)})"
                      " - please report it", highlight=False, soft_wrap=True)
        sys.exit(1)
