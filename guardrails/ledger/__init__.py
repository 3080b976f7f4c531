"""The contact ledger: decisions, the contacts they reserve, and the feedback that confirms them.

`commit(decision, ..., reservation=reservation_for(decision, inp))` is ONE atomic step, on either backend:

1. the event_id is already stored → nothing changes; the stored decision comes back as `duplicate`
   (so a retried event counts once, whatever the pipeline decided the second time);
2. else, when a reservation is given, every one of its `CapCheck`s counts the subject's marketing contacts in its range
   (status reserved-and-not-expired, delivered, dismissed, opened, clicked or converted; transactional
   contacts never count); if any cap is full nothing is stored and the result is `cap_exceeded`, naming it;
3. else the decision and its contact (status `reserved`) are stored → `created`.

A reservation counts from the moment it is made. Feedback confirms it (delivered, opened, ...); `failed`
feedback releases it at once; a reservation never confirmed stops counting `reservation_ttl_s` after the
contact's time (`at + ttl <= now`), so a lost callback cannot block a customer's channel for good.

`SqliteLedger` is the default (one file, several workers); `PostgresLedger` and `RedisLedger` let several
hosts share a ledger. `open_ledger(settings)` picks PostgreSQL when `settings.database_url` is set, else Redis
when `settings.redis_url` is set, else SQLite in the data dir.

Every backend also keeps the decision log (`decisions_since`, `outcomes_since`, `prune`); `log` pages
through it and picks a safe retention cut-off.
"""

from __future__ import annotations

from nextbest.clock import Clock
from nextbest.errors import StoreError
from nextbest.settings import Settings

from .interface import CommitResult, CommitStatus, Ledger, PruneCounts
from .postgres_ledger import PostgresLedger
from .redis_ledger import RedisLedger
from .sqlite_ledger import SqliteLedger

__all__ = [
    "CommitResult",
    "CommitStatus",
    "Ledger",
    "PostgresLedger",
    "PruneCounts",
    "RedisLedger",
    "SqliteLedger",
    "open_ledger",
]

LEDGER_FILE = "ledger.sqlite3"


async def open_ledger(settings: Settings, *, clock: Clock | None = None) -> Ledger:
    """PostgreSQL when `settings.database_url` is set (migrated on open), Redis when `settings.redis_url` is
    (checked with a ping), else SQLite in `settings.data_dir`; a bad URL fails at start-up."""
    if settings.database_url:
        return await PostgresLedger.open(
            settings.database_url,
            schema=settings.database_schema,
            clock=clock,
            reservation_ttl_s=settings.reservation_ttl_s,
        )
    if settings.redis_url:
        ledger = RedisLedger(settings.redis_url, clock=clock, reservation_ttl_s=settings.reservation_ttl_s)
        try:
            await ledger.ping()
        except StoreError:
            await ledger.close()
            raise
        return ledger
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteLedger(settings.data_dir / LEDGER_FILE, clock=clock, reservation_ttl_s=settings.reservation_ttl_s)
