"""`tts-interp suite run|status|report`: resumable, shardable experiment + scoring grids declared in YAML."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tts_interp.cli import options as opt
from tts_interp.cli.common import attackers_line, console, print_done, progress_bar

suite_app = typer.Typer(no_args_is_help=True, help="Run, inspect and report experiment suites (YAML), locally or on Ray.")
DirArgument = Annotated[Path, typer.Argument(help="the suite's output directory (--out of `suite run`)")]


@suite_app.command("run")
def run(suite: Annotated[Path, typer.Argument(help="suite YAML file")], out: opt.OutOption,
        shard: Annotated[str, typer.Option("--shard", help="i/n: run the i-th of n shards")] = "0/1",
        executor: Annotated[str, typer.Option("--executor", help="local (in this process) or ray")] = "local",
        address: Annotated[str | None, typer.Option(
            "--address", help="Ray cluster to join (HOST:PORT or auto); default: a private local cluster")] = None,
        retry_failed: Annotated[bool, typer.Option("--retry-failed", help="also rerun items whose row failed "
                                                                         "(`suite status` lists why)")] = False) -> None:
    """Run and score the suite's unfinished items (this shard's), appending each row as it finishes."""
    from tts_interp.suites.runner import run_suite
    from tts_interp.suites.spec import parse_shard

    shard_pair = parse_shard(shard)
    with progress_bar(f"suite shard {shard} ({executor})", None) as advance:
        payload = run_suite(suite, out, shard_pair, executor, address, advance=advance, retry_failed=retry_failed)
    print_done(out, {"shard": payload["shard"], "scored now": payload["n_scored_now"],
                     "retried": payload["n_retried"], "already done": payload["n_already_done"],
                     "failed now": payload["n_failed_now"], "lost now (rerun to retry)": payload["n_lost_now"]})
    for lost in payload["lost_jobs"][:3]:
        console.print(f"  [yellow]lost[/yellow] {lost['job']}: {lost['reason']}")


@suite_app.command("status")
def status(out: DirArgument) -> None:
    """Show done / failed / pending counts of a suite run."""
    from tts_interp.suites.runner import suite_status

    info = suite_status(out)
    for key, value in info.items():
        console.print(f"  [bold]{key}[/bold]: {value}")


@suite_app.command("report")
def report(out: DirArgument) -> None:
    """Merge all shards into OUT/items.csv and OUT/result.json (aggregates with n and 95% CIs) and write
    OUT/report.html (the `tts-interp report` page)."""
    from tts_interp.report.html_report import build_report
    from tts_interp.suites.runner import suite_report

    payload = suite_report(out)
    if payload.get("attackers", {}).get("frontier"):
        from tts_interp.report.erase_plots import plot_frontier

        plot_frontier(out, payload["attackers"])
    agg = payload["aggregates"]
    page = build_report(out)
    print_done(out, {"complete": payload["complete"], "items": f"{agg['n_items']} ({agg['n_failed']} failed)",
                     "pending": payload["n_pending"], "report": page,
                     **({"attackers": attackers_line(payload["attackers"])} if "attackers" in payload else {})})
