"""What the commands print besides their results: one-line errors, notes, and whether a person is reading.

Every message that holds user or library text goes through `escape`: rich markup would otherwise eat
`[semantic]` in `pip install 'nextbest[semantic]'`, pydantic's `[type=missing, ...]` and `[Errno 2]`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

__all__ = ["err", "escape", "fail", "for_people", "note", "shown_path", "warn"]

# rich resolves sys.stderr when it prints, so typer's CliRunner still captures this console.
err = Console(stderr=True)


def fail(message: str, code: int = 2, *, hint: str | None = None) -> NoReturn:
    """Print `error: message` (and a hint) on stderr, then exit with `code`; never a traceback."""
    # soft_wrap: the terminal wraps a long message; rich would break it mid-phrase at 80 columns in CI logs
    err.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True)
    if hint:
        err.print(escape(hint), style="dim", soft_wrap=True)
    raise typer.Exit(code)


def warn(message: str) -> None:
    err.print(f"[yellow]warning:[/yellow] {escape(message)}", soft_wrap=True)


def note(message: str) -> None:
    err.print(f"[cyan]note:[/cyan] {escape(message)}", soft_wrap=True)


def for_people(console: Console) -> bool:
    """True when `console` writes to a terminal: tables then; one line per item when a pipe or CI reads it.

    rich's TTY_COMPATIBLE=1 or 0 decides when set. FORCE_COLOR does not: CI sets it for colours, and a CI log
    is exactly where a table wrapped at 80 columns hurts.
    """
    forced = os.environ.get("TTY_COMPATIBLE", "")
    if forced in ("0", "1"):
        return forced == "1"
    isatty = getattr(console.file, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed file
        return False


def shown_path(path: str | Path) -> str:
    """`path` relative to the working directory when it lies below it, as ruff and mypy print paths."""
    target = Path(path)
    try:
        return str(target.resolve().relative_to(Path(os.getcwd()).resolve()))
    except ValueError:
        return str(target)
