"""The PostgreSQL subject store: several hosts share one memory (`NEXTBEST_DATABASE_URL`).

Its tables live in the ledger's schema, migrated by their own ordered list (`subject_migrations`) under an
advisory lock, so several workers may start at once. A `record` is one transaction that takes a
transaction-scoped advisory lock per subject it writes, so two writers never trim one timeline at once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

from nextbest.clock import Clock, SystemClock
from nextbest.contracts import Event, ProfileRecord
from nextbest.errors import StoreError

from ._timeline import ANONYMOUS, decode_event, decode_profile, encode_event, merge_profile_record, plan, to_us
from .interface import Forgotten, MemoryBounds, Recall, Recorded

__all__ = ["MIGRATIONS", "PostgresSubjectStore"]

Conn = psycopg.AsyncConnection[dict[str, Any]]

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE subject_memory (
        subject_id TEXT NOT NULL,
        event_id TEXT NOT NULL,
        occurred_at_us BIGINT NOT NULL,
        body JSONB NOT NULL,
        PRIMARY KEY (subject_id, event_id)
    );
    CREATE INDEX subject_memory_by_time ON subject_memory (subject_id, occurred_at_us);
    CREATE TABLE subject_links (
        anonymous_subject TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        linked_at_us BIGINT NOT NULL
    );
    CREATE INDEX subject_links_by_user ON subject_links (user_id);
    CREATE TABLE subject_profiles (
        user_id TEXT PRIMARY KEY,
        body JSONB NOT NULL,
        updated_at_us BIGINT NOT NULL
    );
    """,
)
"""Applied in order, each once; append a new entry to change the schema, never edit an applied one."""

_MIGRATION_LOCK = 7_349_114
_INSERT = (
    "INSERT INTO subject_memory (subject_id, event_id, occurred_at_us, body) VALUES (%s, %s, %s, %s)"
    " ON CONFLICT DO NOTHING"
)
_TRIM = (
    "DELETE FROM subject_memory WHERE subject_id = %(s)s AND (occurred_at_us < %(oldest)s OR event_id NOT IN"
    " (SELECT event_id FROM subject_memory WHERE subject_id = %(s)s"
    " ORDER BY occurred_at_us DESC, event_id DESC LIMIT %(n)s))"
)


class PostgresSubjectStore:
    """A `SubjectStore` in PostgreSQL; open it with `await PostgresSubjectStore.open(url)`."""

    def __init__(
        self, pool: AsyncConnectionPool[Conn], *, clock: Clock | None = None, bounds: MemoryBounds | None = None
    ) -> None:
        self._pool = pool
        self._clock = clock or SystemClock()
        self._bounds = bounds or MemoryBounds()

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        schema: str = "nextbest",
        clock: Clock | None = None,
        bounds: MemoryBounds | None = None,
        max_size: int = 10,
    ) -> PostgresSubjectStore:
        """Connect, migrate `schema`, and return the store; StoreError if unreachable."""

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
            raise StoreError(f"cannot open the PostgreSQL subject store: {exc}") from exc
        return cls(pool, clock=clock, bounds=bounds)

    @asynccontextmanager
    async def _tx(self) -> AsyncIterator[Conn]:
        try:
            async with self._pool.connection() as conn, conn.transaction():
                yield conn
        except psycopg.Error as exc:
            raise StoreError(f"PostgreSQL subject store: {exc}") from exc

    async def record(self, events: Sequence[Event]) -> Recorded:
        writes = plan(events)
        written = 0
        async with self._tx() as conn:
            for anonymous, user in writes.links:
                await _lock(conn, user)
                await conn.execute(
                    "INSERT INTO subject_links (anonymous_subject, user_id, linked_at_us) VALUES (%s, %s, %s)"
                    " ON CONFLICT (anonymous_subject) DO UPDATE SET user_id = excluded.user_id,"
                    " linked_at_us = excluded.linked_at_us",
                    (anonymous, user, to_us(self._clock.now())),
                )
                copied = await conn.execute(
                    "INSERT INTO subject_memory (subject_id, event_id, occurred_at_us, body)"
                    " SELECT %s, event_id, occurred_at_us, body FROM subject_memory WHERE subject_id = %s"
                    " ON CONFLICT DO NOTHING",
                    (user, anonymous),
                )
                written += copied.rowcount
                await self._trim(conn, user)
            for subject, entries in writes.appends.items():
                for target in await _targets(conn, subject):
                    await _lock(conn, target)
                    for entry in entries:
                        row = (target, entry.event_id, to_us(entry.occurred_at), encode_event(entry))
                        written += (await conn.execute(_INSERT, row)).rowcount
                    await self._trim(conn, target)
            for user, traits in writes.traits:
                await self._put(conn, ProfileRecord(user_id=user, traits=traits))
        return Recorded(
            remembered=written, linked=tuple(a for a, _ in writes.links), profiles_updated=len(writes.traits)
        )

    async def _trim(self, conn: Conn, subject: str) -> None:
        oldest = to_us(self._bounds.oldest(self._clock.now()))
        await conn.execute(_TRIM, {"s": subject, "oldest": oldest, "n": self._bounds.max_events})

    async def _put(self, conn: Conn, record: ProfileRecord) -> None:
        await _lock(conn, record.user_id)
        cursor = await conn.execute(
            "SELECT body::text AS body FROM subject_profiles WHERE user_id = %s", (record.user_id,)
        )
        row = await cursor.fetchone()
        merged = merge_profile_record(decode_profile(row["body"]) if row is not None else None, record)
        await conn.execute(
            "INSERT INTO subject_profiles (user_id, body, updated_at_us) VALUES (%s, %s, %s) ON CONFLICT (user_id)"
            " DO UPDATE SET body = excluded.body, updated_at_us = excluded.updated_at_us",
            (record.user_id, merged.model_dump_json(exclude_unset=True), to_us(self._clock.now())),
        )

    async def recall(self, subject_id: str) -> Recall:
        oldest = to_us(self._bounds.oldest(self._clock.now()))
        async with self._tx() as conn:
            cursor = await conn.execute(
                "SELECT body::text AS body, NULL AS profile FROM (SELECT body, occurred_at_us, event_id"
                " FROM subject_memory WHERE subject_id = %(s)s AND occurred_at_us >= %(oldest)s"
                " ORDER BY occurred_at_us DESC, event_id DESC LIMIT %(n)s) recent"
                " UNION ALL SELECT NULL, body::text FROM subject_profiles WHERE user_id = %(s)s",
                {"s": subject_id, "oldest": oldest, "n": self._bounds.max_events},
            )
            rows = await cursor.fetchall()

        events = sorted(
            (decode_event(row["body"]) for row in rows if row["body"] is not None),
            key=lambda event: (event.occurred_at, event.event_id),
        )
        profiles = [row["profile"] for row in rows if row["profile"] is not None]
        anonymous = subject_id.startswith(ANONYMOUS)
        profile = decode_profile(profiles[0]) if profiles and not anonymous else None
        return Recall(events=tuple(events), profile=profile)

    async def put_profiles(self, profiles: Sequence[ProfileRecord]) -> int:
        async with self._tx() as conn:
            for record in profiles:
                await self._put(conn, record)
        return len(profiles)

    async def forget(self, subject_id: str) -> Forgotten:
        async with self._tx() as conn:
            await _lock(conn, subject_id)
            cursor = await conn.execute(
                "SELECT anonymous_subject FROM subject_links WHERE user_id = %s ORDER BY anonymous_subject",
                (subject_id,),
            )
            subjects = (subject_id, *[row["anonymous_subject"] for row in await cursor.fetchall()])
            events = await conn.execute("DELETE FROM subject_memory WHERE subject_id = ANY(%s)", (list(subjects),))
            links = await conn.execute(
                "DELETE FROM subject_links WHERE user_id = %s OR anonymous_subject = ANY(%s)",
                (subject_id, list(subjects)),
            )
            profile = await conn.execute("DELETE FROM subject_profiles WHERE user_id = %s", (subject_id,))
        return Forgotten(subjects=subjects, events=events.rowcount, profile=profile.rowcount > 0, links=links.rowcount)

    async def close(self) -> None:
        await self._pool.close()


async def _lock(conn: Conn, subject: str) -> None:
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 1))", ("subjects:" + subject,))


async def _targets(conn: Conn, subject: str) -> list[str]:
    if not subject.startswith(ANONYMOUS):
        return [subject]
    cursor = await conn.execute("SELECT user_id FROM subject_links WHERE anonymous_subject = %s", (subject,))
    row = await cursor.fetchone()
    return [subject, row["user_id"]] if row is not None else [subject]


async def _migrate(pool: AsyncConnectionPool[Conn], schema: str) -> None:
    """Bring `schema` to the latest subject migration; concurrent starts wait on one advisory lock."""
    async with pool.connection() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        await conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        await conn.execute(sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(schema)))
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS subject_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ"
            " NOT NULL DEFAULT now())"
        )
        cursor = await conn.execute("SELECT coalesce(max(version), 0) AS version FROM subject_migrations")
        row = await cursor.fetchone()
        applied = int(row["version"]) if row is not None else 0
        for version, statement in enumerate(MIGRATIONS[applied:], start=applied + 1):
            await conn.execute(statement)
            await conn.execute("INSERT INTO subject_migrations (version) VALUES (%s)", (version,))
