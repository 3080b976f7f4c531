"""Reading the decision log page by page, and choosing how far back retention may prune.

`iter_decisions` / `iter_outcomes` walk a ledger with keyset paging, so an export of millions of rows holds
one page in memory at a time. `prune_cutoff` turns a retention into the `before` of `Ledger.prune`, and
refuses one that would delete contacts the guardrail policy still counts.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from typing import TypeVar

from nextbest.contracts import DecisionRow, OutcomeRow
from nextbest.errors import ConfigError

from .interface import Ledger

__all__ = ["PAGE_SIZE", "iter_decisions", "iter_outcomes", "prune_cutoff"]

PAGE_SIZE = 1000
R = TypeVar("R", DecisionRow, OutcomeRow)


async def _walk(fetch: Callable[[R | None], Awaitable[list[R]]], page_size: int) -> AsyncIterator[R]:
    """Every row `fetch(after)` pages out, starting past None, until a page comes back short."""
    after: R | None = None
    while True:
        page = await fetch(after)
        for row in page:
            yield row
        if len(page) < page_size:
            return
        after = page[-1]


def iter_decisions(
    ledger: Ledger, since: datetime, *, until: datetime | None = None, page_size: int = PAGE_SIZE
) -> AsyncIterator[DecisionRow]:
    """Every decision row in [since, until), in log order, one page in memory at a time."""

    def fetch(after: DecisionRow | None) -> Awaitable[list[DecisionRow]]:
        return ledger.decisions_since(since, until=until, after=after, limit=page_size)

    return _walk(fetch, page_size)


def iter_outcomes(
    ledger: Ledger, since: datetime, *, until: datetime | None = None, page_size: int = PAGE_SIZE
) -> AsyncIterator[OutcomeRow]:
    """Every outcome row in [since, until), in log order, one page in memory at a time."""

    def fetch(after: OutcomeRow | None) -> Awaitable[list[OutcomeRow]]:
        return ledger.outcomes_since(since, until=until, after=after, limit=page_size)

    return _walk(fetch, page_size)


def prune_cutoff(now: datetime, retention: timedelta, lookback: timedelta) -> datetime:
    """`now - retention`, when the retention is longer than the policy's `history_lookback()`.

    A shorter one would delete contacts a cap or cooldown window still counts, letting a customer be
    contacted past their cap: that is a ConfigError, never a silent clamp.
    """
    if retention <= lookback:
        raise ConfigError(
            f"retention of {_days(retention)} is not longer than the guardrail policy's history lookback of"
            f" {_days(lookback)}: pruning would forget contacts the caps still count"
            f" (set NEXTBEST_RETENTION_DAYS above {lookback.days})"
        )
    return now - retention


def _days(span: timedelta) -> str:
    days = span / timedelta(days=1)
    return f"{days:g} days"
