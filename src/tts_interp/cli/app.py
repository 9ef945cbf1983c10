"""The `tts-interp` command: one sub-command per intervention, each in its own module under cli/."""

from __future__ import annotations

import os

import typer

from tts_interp.cli.common import console
from tts_interp.cli.errors import run_guarded

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False, rich_markup_mode=None,
                  help="Mechanistic interventions on text-to-speech models: trace, lens, patch, steer, "
                       "ablate codebooks, and score the audio.")


def main() -> None:
    """Console-script entry: run the app; input errors are one red line and exit 2, internal errors one line
    naming a log file with the traceback and exit 1 (cli/errors.py)."""
    # keep generate()'s chatter (pad_token_id etc.) off the console; transformers reads this when it loads, so
    # --help never has to import it
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    run_guarded(app, console)


# Command registration: one line per command module.
from tts_interp.cli import model_cmds  # noqa: E402

app.command("models")(model_cmds.models)
app.command("sites")(model_cmds.sites)
app.command("generate")(model_cmds.generate)
app.command("trace")(model_cmds.trace)
app.command("replay")(model_cmds.replay)
from tts_interp.cli import codes_cmd  # noqa: E402
from tts_interp.cli.eval_cmd import eval_command  # noqa: E402
from tts_interp.cli.suite_cmd import suite_app  # noqa: E402

app.add_typer(codes_cmd.app, name="codes")
app.command("eval")(eval_command)
app.add_typer(suite_app, name="suite")

from tts_interp.cli import direction_cmd, hspace_cmd, lens_cmd, patch_cmd, steer_cmd  # noqa: E402

app.command("lens")(lens_cmd.lens)
app.command("patch")(patch_cmd.patch)
app.command("direction")(direction_cmd.direction)
app.command("steer")(steer_cmd.steer)
app.add_typer(hspace_cmd.app, name="hspace")
from tts_interp.cli import erase_cmd  # noqa: E402

app.add_typer(erase_cmd.app, name="erase")

from tts_interp.cli import mission_cmd  # noqa: E402

app.command("voices")(model_cmds.voices)
app.command("mission")(mission_cmd.mission)

from tts_interp.cli import features_cmd  # noqa: E402

app.add_typer(features_cmd.app, name="features")

from tts_interp.cli.report_cmd import report  # noqa: E402

app.command("report")(report)
