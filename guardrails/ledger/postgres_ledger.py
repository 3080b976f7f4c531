"""The PostgreSQL ledger: several hosts share one database (`NEXTBEST_DATABASE_URL=postgresql://…`).

Async through psycopg 3 with a connection pool. A commit is one transaction that first takes a
transaction-scoped advisory lock on the subject, so two decisions for one customer check and reserve one
after the other, never interleaved; different customers never wait for each other. The schema is created by
an ordered list of migrations, recorded in `schema_migrations` and applied under an advisory lock, so
starting several workers at once (or twice) is safe.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from nextbest.clock import Clock, SystemClock
from nextbest.contracts import (
    ActionProposal,
    Decision,
    DecisionRow,
    FeedbackOutcome,
    FeedbackResponse,
    OutcomeRow,
)
from nextbest.errors import NotFoundError, StoreError

from ..caps import CapCheck, Reservation, find_breaches
from ..contacts import ContactHistory, ContactStatus, advance_status
from . import _postgres_log
from ._codec import CONTACT_COLUMNS, as_of, contact_from_row, contact_values, reserved_contact, to_us
from ._log_rows import earned
from .interface import CommitResult, CommitStatus, PruneCounts

__all__ = ["MIGRATIONS", "PostgresLedger"]

Conn = psycopg.AsyncConnection[dict[str, Any]]

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE decisions (
        decision_id TEXT PRIMARY KEY,
        event_id TEXT NOT NULL UNIQUE,
        subject_id TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        body JSONB NOT NULL,
        would_have JSONB
    );
    CREATE TABLE contacts (
        decision_id TEXT PRIMARY KEY REFERENCES decisions (decision_id),
        subject_id TEXT NOT NULL,
        channel TEXT NOT NULL,
        offer_id TEXT,
        use_case TEXT,
        cart_id TEXT,
        transactional BOOLEAN NOT NULL,
        at_us BIGINT NOT NULL,
        status TEXT NOT NULL
    );
    CREATE INDEX contacts_by_subject ON contacts (subject_id, at_us);
    CREATE TABLE feedback (
        decision_id TEXT NOT NULL REFERENCES decisions (decision_id),
        outcome TEXT NOT NULL,
        occurred_at_us BIGINT NOT NULL,
        subject_id TEXT NOT NULL,
        PRIMARY KEY (decision_id, outcome)
    );
    CREATE INDEX feedback_by_subject ON feedback (subject_id, outcome);
    """,
    _postgres_log.LOG_MIGRATION,
    _postgres_log.REWARD_MIGRATION,
)
"""Applied in order, each once; append a new entry to change the schema, never edit an applied one."""

_MIGRATION_LOCK = 7_349_113
_NINE_VALUES = ", ".join(["%s"] * 9)


class PostgresLedger:
    """A `Ledger` in PostgreSQL; open it with `await PostgresLedger.open(url)`."""

    def __init__(
        self, pool: AsyncConnectionPool[Conn], *, clock: Clock | None = None, reservation_ttl_s: int = 900
    ) -> None:
        self._pool = pool
        self._clock = clock or SystemClock()
        self._ttl_s = reservation_ttl_s

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        schema: str = "nextbest",
        clock: Clock | None = None,
        reservation_ttl_s: int = 900,
        max_size: int = 20,
    ) -> PostgresLedger:
        """Connect, migrate `schema` to the latest version, and return the ledger; StoreError if unreachable."""

        async def configure(conn: Conn) -> None:
            await conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
            await conn.commit()

        pool: AsyncConnectionPool[Conn] = AsyncConnectionPool(
            url,
            min_size=1,
            max_size=max_size,
            kwargs={"row_factory": dict_row, "autocommit": False},
            configure=configure,
            open=False,
        )
        try:
            await pool.open(wait=True, timeout=10)
            await _migrate(pool, schema)
        except (psycopg.Error, TimeoutError, OSError) as exc:
            await pool.close()
            raise StoreError(f"cannot open the PostgreSQL ledger: {exc}") from exc
        return cls(pool, clock=clock, reservation_ttl_s=reservation_ttl_s)

    @asynccontextmanager
    async def _tx(self) -> AsyncIterator[Conn]:
        try:
            async with self._pool.connection() as conn, conn.transaction():
                yield conn
        except psycopg.errors.UniqueViolation as exc:
            raise StoreError(f"PostgreSQL ledger: {exc.diag.message_primary}") from exc
        except psycopg.Error as exc:
            raise StoreError(f"PostgreSQL ledger: {exc}") from exc

    async def ping(self) -> None:
        async with self._tx() as conn:
            await conn.execute("SELECT 1")

    async def history(self, subject_id: str, since: datetime, *, now: datetime | None = None) -> ContactHistory:
        as_at = now or self._clock.now()
        async with self._tx() as conn:
            cursor = await conn.execute(
                f"SELECT {CONTACT_COLUMNS} FROM contacts WHERE subject_id = %s AND at_us >= %s ORDER BY at_us",
                (subject_id, to_us(since)),
            )
            rows = await cursor.fetchall()
            cursor = await conn.execute(
                "SELECT 1 FROM feedback WHERE subject_id = %s AND outcome = %s LIMIT 1",
                (subject_id, FeedbackOutcome.CONVERTED.value),
            )
            converted = await cursor.fetchone()
        contacts = tuple(as_of(contact_from_row(row), as_at, self._ttl_s) for row in rows)
        return ContactHistory(contacts=contacts, converted=converted is not None)

    async def commit(
        self,
        decision: Decision,
        *,
        subject_id: str,
        request_fingerprint: str,
        reservation: Reservation | None = None,
        would_have: ActionProposal | None = None,
    ) -> CommitResult:
        contact = reserved_contact(reservation, decision)
        caps = tuple(reservation.caps) if reservation is not None else ()
        extra = would_have.model_dump_json() if would_have is not None else None
        async with self._tx() as conn:
            await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (subject_id,))
            cursor = await conn.execute(
                "SELECT body, fingerprint FROM decisions WHERE event_id = %s", (decision.event_id,)
            )
            row = await cursor.fetchone()
            if row is not None:
                stored = Decision.model_validate(row["body"])
                return CommitResult(
                    CommitStatus.DUPLICATE, stored, fingerprint_matches=row["fingerprint"] == request_fingerprint
                )
            if contact is not None and caps:
                breach = await self._first_breach(conn, subject_id, caps)
                if breach is not None:
                    return CommitResult(CommitStatus.CAP_EXCEEDED, None, cap=breach)
            await conn.execute(
                "INSERT INTO decisions (decision_id, event_id, subject_id, fingerprint, body, would_have,"
                " decided_at_us, recorded_at_us) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    decision.decision_id,
                    decision.event_id,
                    subject_id,
                    request_fingerprint,
                    decision.model_dump_json(),
                    extra,
                    to_us(decision.decided_at),
                    to_us(self._clock.now()),
                ),
            )
            if contact is not None:
                await conn.execute(
                    f"INSERT INTO contacts (subject_id, {CONTACT_COLUMNS}) VALUES ({_NINE_VALUES})",
                    contact_values(subject_id, contact),
                )
        return CommitResult(CommitStatus.CREATED, decision)

    async def _first_breach(self, conn: Conn, subject_id: str, caps: tuple[CapCheck, ...]) -> str | None:
        cursor = await conn.execute(
            f"SELECT {CONTACT_COLUMNS} FROM contacts WHERE subject_id = %s AND at_us >= %s AND at_us < %s",
            (subject_id, to_us(min(cap.since for cap in caps)), to_us(max(cap.until for cap in caps))),
        )
        now = self._clock.now()
        counted = [as_of(contact_from_row(row), now, self._ttl_s) for row in await cursor.fetchall()]
        breaches = find_breaches(caps, counted)
        return breaches[0].check.name if breaches else None

    async def find_by_event(self, event_id: str) -> Decision | None:
        return await self._decision("SELECT body FROM decisions WHERE event_id = %s", event_id)

    async def get_decision(self, decision_id: str) -> Decision | None:
        return await self._decision("SELECT body FROM decisions WHERE decision_id = %s", decision_id)

    async def _decision(self, query: str, value: str) -> Decision | None:
        async with self._tx() as conn:
            row = await (await conn.execute(query, (value,))).fetchone()
        return Decision.model_validate(row["body"]) if row is not None else None

    async def would_have(self, decision_id: str) -> ActionProposal | None:
        async with self._tx() as conn:
            cursor = await conn.execute("SELECT would_have FROM decisions WHERE decision_id = %s", (decision_id,))
            row = await cursor.fetchone()
        if row is None or row["would_have"] is None:
            return None
        return ActionProposal.model_validate(row["would_have"])

    async def record_feedback(
        self,
        decision_id: str,
        outcome: FeedbackOutcome,
        occurred_at: datetime,
        *,
        value: float | None = None,
        currency: str | None = None,
    ) -> FeedbackResponse:
        async with self._tx() as conn:
            cursor = await conn.execute(
                "SELECT subject_id, body FROM decisions WHERE decision_id = %s FOR UPDATE", (decision_id,)
            )
            row = await cursor.fetchone()
            if row is None:
                raise NotFoundError("decision", decision_id)
            cursor = await conn.execute(
                "INSERT INTO feedback (decision_id, outcome, occurred_at_us, subject_id, value, currency)"
                " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (decision_id, outcome.value, to_us(occurred_at), row["subject_id"], value, currency),
            )
            if cursor.rowcount == 0:
                return FeedbackResponse(decision_id=decision_id, outcome=outcome, recorded=True, duplicate=True)
            reward = earned(Decision.model_validate(row["body"]), outcome, value)
            if reward is not None:
                await conn.execute(
                    "UPDATE decisions SET reward = %s, reward_currency = %s WHERE decision_id = %s",
                    (reward, currency, decision_id),
                )
            cursor = await conn.execute("SELECT status FROM contacts WHERE decision_id = %s", (decision_id,))
            contact = await cursor.fetchone()
            if contact is not None:
                status = advance_status(ContactStatus(contact["status"]), outcome)
                await conn.execute(
                    "UPDATE contacts SET status = %s WHERE decision_id = %s", (status.value, decision_id)
                )
        return FeedbackResponse(decision_id=decision_id, outcome=outcome, recorded=True)

    async def decisions_since(
        self,
        since: datetime,
        *,
        until: datetime | None = None,
        after: DecisionRow | None = None,
        limit: int = 1000,
    ) -> list[DecisionRow]:
        async with self._tx() as conn:
            return await _postgres_log.decisions_page(conn, since, until, after, limit)

    async def outcomes_since(
        self,
        since: datetime,
        *,
        until: datetime | None = None,
        after: OutcomeRow | None = None,
        limit: int = 1000,
    ) -> list[OutcomeRow]:
        async with self._tx() as conn:
            return await _postgres_log.outcomes_page(conn, since, until, after, limit)

    async def prune(self, before: datetime) -> PruneCounts:
        async with self._tx() as conn:
            return await _postgres_log.prune(conn, before)

    async def pseudonymise(self, subject_id: str, pseudonym: str) -> int:
        async with self._tx() as conn:
            await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (subject_id,))
            return await _postgres_log.pseudonymise(conn, subject_id, pseudonym)

    async def close(self) -> None:
        await self._pool.close()


async def _migrate(pool: AsyncConnectionPool[Conn], schema: str) -> None:
    """Bring `schema` to the latest migration; concurrent starts wait on one advisory lock."""
    async with pool.connection() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        await conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        await conn.execute(sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(schema)))
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ"
            " NOT NULL DEFAULT now())"
        )
        cursor = await conn.execute("SELECT coalesce(max(version), 0) AS version FROM schema_migrations")
        row = await cursor.fetchone()
        applied = int(row["version"]) if row is not None else 0
        for version, statement in enumerate(MIGRATIONS[applied:], start=applied + 1):
            await conn.execute(statement)
            await conn.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (version,))
