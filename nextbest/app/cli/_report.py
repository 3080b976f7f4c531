"""`nextbest report lift`: treatment against holdout per playbook, from the configured ledger's decision log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from nextbest.contracts import FeedbackOutcome, Interval, LiftReport, RevenueLift
from nextbest.settings import Settings

from ._export import on_ledger, parse_moment
from ._output import fail, shown_path, warn

if TYPE_CHECKING:
    from guardrails.ledger import Ledger

__all__ = ["DEFAULT_DAYS", "report_app"]

DEFAULT_DAYS = 30

report_app = typer.Typer(no_args_is_help=True, help="Reports computed from the decision log.")
console = Console()


def _since(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC) - timedelta(days=DEFAULT_DAYS)
    return parse_moment(text, "--since")


def _shown(interval: Interval | None) -> str:
    if interval is None:
        return "n/a"
    return f"{interval.estimate:+.2%} [{interval.low:+.2%}, {interval.high:+.2%}]"


def _amount(interval: Interval | None) -> str:
    if interval is None:
        return "n/a"
    return f"{interval.estimate:,.2f} [{interval.low:,.2f}, {interval.high:,.2f}]"


def _money(revenue: RevenueLift) -> str:
    return (
        f"revenue per customer in {revenue.currency}: treatment {_amount(revenue.treatment)}"
        f" vs holdout {_amount(revenue.holdout)}; lift {_amount(revenue.lift)}"
    )


def _print(report: LiftReport) -> None:
    if not report.playbooks:
        console.print(f"no decisions for known customers since {report.since.isoformat(timespec='seconds')}")
    for entry in report.playbooks:
        rates = [r.estimate if r else None for r in (entry.treatment_rate, entry.holdout_rate)]
        shown = " vs ".join("n/a" if r is None else f"{r:.2%}" for r in rates)
        console.print(
            f"{entry.playbook}: {report.outcome} {shown} (treatment {entry.treatment_customers:,},"
            f" holdout {entry.holdout_customers:,}); lift {_shown(entry.absolute_lift)},"
            f" relative {_shown(entry.relative_lift)}",
            highlight=False,
        )
        for revenue in entry.revenue:
            console.print(f"  {_money(revenue)}", highlight=False)
        if entry.ratio is not None and entry.ratio.mismatch:
            warn(
                f"{entry.playbook}: sample-ratio mismatch: holdout share {entry.ratio.observed_share:.2%} against"
                f" the configured {entry.ratio.expected_share:.2%} (p={entry.ratio.p_value:.2g}); check the split"
            )


@report_app.command("lift")
def lift(
    since: Annotated[
        str | None, typer.Option("--since", help=f"ISO 8601 date or time (default: {DEFAULT_DAYS} days ago)")
    ] = None,
    playbook: Annotated[str | None, typer.Option("--playbook", help="Only this playbook (use case id)")] = None,
    outcome: Annotated[FeedbackOutcome, typer.Option("--outcome", help="What counts as success")] = (
        FeedbackOutcome.CONVERTED
    ),
    html: Annotated[Path | None, typer.Option("--html", help="Also write the report as HTML here")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
) -> None:
    """Outcome rate, revenue and lift with 95% intervals, treatment against holdout, per playbook."""
    from evals.lift import read_lift
    from guardrails.ledger.log import iter_decisions, iter_outcomes

    start = _since(since)
    if html is not None and (html.is_dir() or not html.resolve().parent.is_dir()):
        fail(f"--html {shown_path(html)} must be a file in an existing folder")
    percent = Settings().holdout_percent

    async def work(ledger: Ledger) -> LiftReport:
        return await read_lift(
            iter_decisions(ledger, start),
            iter_outcomes(ledger, start),
            since=start,
            holdout_percent=percent,
            outcome=outcome,
            playbook=playbook,
        )

    report = on_ledger(work)
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
    else:
        _print(report)
    if html is not None:
        from evals.lift_html import render_lift_html

        html.write_text(render_lift_html(report), encoding="utf-8")
        console.print(f"wrote {shown_path(html)}", highlight=False)
