"""`nextbest export decisions|outcomes` writes the decision log for a warehouse; `nextbest prune` applies
the retention (`NEXTBEST_RETENTION_DAYS`). Both open the configured ledger, nothing else.

The ledger, policy and pyarrow imports wait until a command runs, so `nextbest --help` stays quick.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console

from nextbest.errors import NextbestError
from nextbest.settings import Settings

from ._output import fail, shown_path

if TYPE_CHECKING:
    from guardrails.ledger import Ledger

__all__ = ["LogFormat", "export_app", "on_ledger", "parse_moment", "prune", "register"]

T = TypeVar("T")

export_app = typer.Typer(no_args_is_help=True, help="Write the decision log (decisions or outcomes) to a file.")
console = Console(stderr=True)


class LogFormat(StrEnum):
    JSONL = "jsonl"
    PARQUET = "parquet"


_TIME_HELP = "ISO 8601 date or time, e.g. 2026-11-01 or 2026-11-01T06:00:00Z (no offset means UTC)"
Since = Annotated[str, typer.Option("--since", help=f"From this moment on (inclusive); {_TIME_HELP}")]
Until = Annotated[str | None, typer.Option("--until", help="Up to this moment (exclusive); same forms")]
Format = Annotated[LogFormat, typer.Option("--format", help="jsonl, or parquet with the documented schema")]
Out = Annotated[Path, typer.Option("--out", help="The file to write (replaced whole when done)")]


def parse_moment(text: str, option: str) -> datetime:
    """A CLI time: a date means midnight UTC, a time without an offset is UTC; anything else fails clearly."""
    value = text.strip()
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(value)
    except ValueError:
        fail(f"{option} {text!r} is not an ISO 8601 date or time", hint="use e.g. 2026-11-01 or 2026-11-01T06:00:00Z")
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _window(since: str, until: str | None) -> tuple[datetime, datetime | None]:
    start = parse_moment(since, "--since")
    end = parse_moment(until, "--until") if until is not None else None
    if end is not None and end <= start:
        fail(f"--until {until} is not after --since {since}")
    return start, end


def _check_out(out: Path) -> None:
    if out.is_dir():
        fail(f"--out {shown_path(out)} is a folder; name a file")
    if not out.resolve().parent.is_dir():
        fail(f"no folder {shown_path(out.resolve().parent)} to write {shown_path(out)} in")


def on_ledger(work: Callable[[Ledger], Awaitable[T]]) -> T:
    """Open the configured ledger, run `work` on it, close it; settings and store errors end the command."""
    from guardrails.ledger import open_ledger

    async def go() -> T:
        ledger = await open_ledger(Settings())
        try:
            return await work(ledger)
        finally:
            await ledger.close()

    try:
        return asyncio.run(go())
    except ValidationError as exc:
        fail(f"invalid settings: {exc}")
    except (NextbestError, OSError) as exc:
        fail(str(exc))


def _export(kind: str, rows: Callable[[Ledger], AsyncIterator[BaseModel]], fmt: LogFormat, out: Path) -> None:
    from ._log_files import DECISION_SCHEMA, OUTCOME_SCHEMA, write_rows

    _check_out(out)
    schema = (DECISION_SCHEMA if kind == "decisions" else OUTCOME_SCHEMA) if fmt is LogFormat.PARQUET else None
    count = on_ledger(lambda ledger: write_rows(rows(ledger), out, schema))
    console.print(f"wrote {count:,} {kind} to {shown_path(out)} ({fmt.value})", highlight=False)


@export_app.command("decisions")
def export_decisions(since: Since, out: Out, until: Until = None, fmt: Format = LogFormat.JSONL) -> None:
    """Decisions made in [--since, --until), one row each (schema: README, "Decision log")."""
    from guardrails.ledger.log import iter_decisions

    start, end = _window(since, until)
    _export("decisions", lambda ledger: iter_decisions(ledger, start, until=end), fmt, out)


@export_app.command("outcomes")
def export_outcomes(since: Since, out: Out, until: Until = None, fmt: Format = LogFormat.JSONL) -> None:
    """Outcomes that occurred in [--since, --until), one row each (schema: README, "Decision log")."""
    from guardrails.ledger.log import iter_outcomes

    start, end = _window(since, until)
    _export("outcomes", lambda ledger: iter_outcomes(ledger, start, until=end), fmt, out)


def _cutoff(retention_days: int | None) -> tuple[datetime, int]:
    from guardrails.ledger.log import prune_cutoff
    from guardrails.policy import load_guardrail_policy
    from guardrails.policy_lint import GUARDRAILS_FILE
    from nextbest.clock import SystemClock

    try:
        settings = Settings()
        lookback = load_guardrail_policy(settings.policy_dir / GUARDRAILS_FILE).history_lookback()
        days = retention_days if retention_days is not None else settings.retention_days
        return prune_cutoff(SystemClock().now(), timedelta(days=days), lookback), days
    except ValidationError as exc:
        fail(f"invalid settings: {exc}")
    except NextbestError as exc:
        fail(str(exc))


def prune(
    retention_days: Annotated[
        int | None, typer.Option("--retention-days", min=1, help="Override NEXTBEST_RETENTION_DAYS")
    ] = None,
) -> None:
    """Delete decisions (with their contacts and outcomes) older than the retention."""
    before, days = _cutoff(retention_days)
    counts = on_ledger(lambda ledger: ledger.prune(before))
    console.print(
        f"pruned {counts.decisions:,} decisions, {counts.contacts:,} contacts and {counts.outcomes:,} outcomes"
        f" decided before {before.isoformat(timespec='seconds')} ({days} days retention)",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    """Add `export` and `prune` to the root app."""
    app.add_typer(export_app, name="export")
    app.command("prune")(prune)
