"""Shared CLI pieces: option types, the one-line error exit, progress bars, summaries."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

if TYPE_CHECKING:
    from rich.progress import Progress

console = Console(stderr=True)


def say_notes(notes: list[str | None]) -> None:
    """Print each note (e.g. a manifest's old column names) as one line on stderr."""
    for note in notes:
        if note:
            console.print(note, highlight=False, soft_wrap=True)


def say_stale(message: str) -> None:
    """Tell the user a stale result is being recomputed (one yellow line on stderr)."""
    console.print(f"[yellow]stale:[/yellow] {message}", highlight=False, soft_wrap=True)


def _progress() -> Progress:
    """The one progress-bar layout of the CLI, on stderr (rich.progress loads here, not at --help)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console)


@contextmanager
def progress_bar(description: str, total: int | None) -> Iterator[Any]:
    """A rich progress bar on stderr; yields a callable `advance(n=1)`."""
    with _progress() as progress:
        task = progress.add_task(description, total=total)
        yield lambda n=1: progress.advance(task, n)


@contextmanager
def status(message: str) -> Iterator[None]:
    """A spinner with a message while something of unknown length runs."""
    with console.status(message):
        yield


@contextmanager
def frame_progress(description: str, max_frames: int) -> Iterator[Any]:
    """A progress bar over generated frames, shown from the first frame on; yields `on_frame()`."""
    progress = _progress()
    task: list[Any] = []

    def on_frame() -> None:
        if not task:
            progress.start()
            task.append(progress.add_task(f"{description} (at most {max_frames} frames)", total=max_frames))
        progress.advance(task[0])

    try:
        yield on_frame
    finally:
        if task:
            progress.stop()


def print_done(out_dir: Path, summary: dict[str, Any]) -> None:
    """Print a short summary of a finished command and where its outputs are."""
    for key, value in summary.items():
        console.print(f"  [bold]{key}[/bold]: {value}")
    console.print(f"[green]done[/green]: outputs in {out_dir} (see {Path(out_dir) / 'result.json'})")


def attack_text(row: dict[str, Any]) -> str:
    """One condition of the attackers: ignorant EER [CI] with its trials (chance 0.5), and WER with its n."""
    if row.get("ignorant_eer") is None:
        return f"no EER ({row.get('reason')})"
    low, high = row["ignorant_eer_ci95"]
    wer = "n/a" if row.get("wer") is None else f"{row['wer']:.3f} (n={row['wer_n']})"
    return (f"ignorant EER {row['ignorant_eer']:.3f} [{low:.3f}, {high:.3f}] (n={row['ignorant_eer_n_target']}+"
            f"{row['ignorant_eer_n_nontarget']} trials; chance 0.5), WER {wer}")


ATTACKER_COLUMNS = (("  verifier", 13), ("ignorant EER", 19), ("lazy-informed EER", 19), ("semi-informed EER", 19),
                    ("ident.", 6), ("WER", 6))


def attackers_table(attacks: dict[str, Any]) -> str:
    """The attackers' table as text for 100 columns: per condition a line with its held-out protocol, then a
    line per verifier (the three attackers' EER [95% CI], identification, WER), then one warning line per
    condition that is not open-set."""
    from tts_interp.report.text_tables import row_line, shorten, value_ci

    lines = [row_line(ATTACKER_COLUMNS, [name for name, _ in ATTACKER_COLUMNS])]
    shown = None
    for row in attacks.get("conditions") or []:
        if row["condition"] != shown:
            shown = row["condition"]
            protocol = f" [{row.get('protocol')}]"
            lines.append(shorten(row["condition"], 100 - len(protocol)) + protocol)
        ident = "-" if row.get("identification") is None else f"{row['identification']:.2f}"
        wer = "-" if row.get("wer") is None else f"{row['wer']:.3f}"
        eers = [value_ci(row.get(k), row.get(f"{k}_ci95")) for k in
                ("ignorant_eer", "lazy_informed_eer", "semi_informed_eer")]
        lines.append(row_line(ATTACKER_COLUMNS, [f"  {row.get('verifier')}", *eers, ident, wer]))
    chance = next((r.get("identification_chance") for r in attacks.get("conditions") or []), None)
    lines.append(f"chance: EER 0.5, identification {chance:.3f}" if chance else "chance: EER 0.5")
    lines += [f"WARNING {w}" for w in (attacks.get("protocol") or {}).get("warnings", [])]
    return "\n".join(lines)


def attackers_line(attacks: dict[str, Any]) -> str:
    """The attackers in a line: the original speech, and the condition that hides the voice best."""
    rows = attacks["conditions"]
    if not rows:
        return f"not scored ({attacks.get('reason')})"
    scored = [r for r in rows[1:] if r.get("ignorant_eer") is not None]
    text = f"{len(rows) - 1} condition(s); original: {attack_text(rows[0])}"
    if scored:
        best = max(scored, key=lambda r: r["ignorant_eer"])
        text += f"; most erased ({best['condition']}): {attack_text(best)}"
    text += f"; {len(attacks['unusable'])} clip(s) left out" if attacks.get("unusable") else ""
    warnings = (attacks.get("protocol") or {}).get("warnings") or []
    return text + "".join(f"\nWARNING {w}" for w in warnings)
