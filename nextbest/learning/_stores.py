"""Where posteriors live: the configured state store (SQLite, PostgreSQL or Redis), shared by workers.

Each backend keeps, per (playbook, segment, arm), how often the arm was served and the reward it earned,
updated by single atomic increments (an UPSERT, or HINCRBY/HINCRBYFLOAT in one MULTI), so concurrent
workers never lose an update and a restart loses nothing. Arms are keyed by their declared id: a catalog
import does not touch them; `reset` forgets one arm, or every arm of a playbook, on purpose.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar

import psycopg
import redis.asyncio as aioredis
from psycopg import sql
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool
from redis.exceptions import RedisError

from nextbest.errors import StoreError
from nextbest.sqlitefile import SqliteFile

from ._policy import ArmStats

__all__ = ["ArmStore", "PostgresArmStore", "RedisArmStore", "SqliteArmStore"]

T = TypeVar("T")


class ArmStore(Protocol):
    """Per-arm, per-segment reward statistics, atomically updated."""

    async def stats(self, playbook: str, segment: str, arms: Sequence[str]) -> dict[str, ArmStats]: ...

    async def serve(self, playbook: str, segment: str, arm: str) -> None:
        """Count one serve of `arm` (its reward, if any, comes later through `credit`)."""
        ...

    async def credit(self, playbook: str, segment: str, arm: str, reward: float) -> None: ...

    async def reset(self, playbook: str, arm: str | None = None) -> int:
        """Forget one arm (or every arm) of a playbook in every segment; the number of rows forgotten."""
        ...

    async def close(self) -> None: ...


_SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS arm_stats (
    playbook TEXT NOT NULL, segment TEXT NOT NULL, arm TEXT NOT NULL,
    served INTEGER NOT NULL DEFAULT 0, total REAL NOT NULL DEFAULT 0, total_sq REAL NOT NULL DEFAULT 0,
    PRIMARY KEY (playbook, segment, arm)
)
"""
_UPSERT = (
    "INSERT INTO arm_stats (playbook, segment, arm, served, total, total_sq) VALUES ({p}, {p}, {p}, {p}, {p}, {p})"
    " ON CONFLICT (playbook, segment, arm) DO UPDATE SET served = arm_stats.served + excluded.served,"
    " total = arm_stats.total + excluded.total, total_sq = arm_stats.total_sq + excluded.total_sq"
)


def _from_rows(rows: Sequence[Any]) -> dict[str, ArmStats]:
    return {row["arm"]: ArmStats(int(row["served"]), float(row["total"]), float(row["total_sq"])) for row in rows}


class SqliteArmStore:
    """Arm statistics in one SQLite file (WAL, through `SqliteFile`), beside the ledger's."""

    def __init__(self, path: Path | str, *, busy_timeout_s: float = 10.0) -> None:
        self._file = SqliteFile(path, what="SQLite arm store", setup=_sqlite_setup, busy_timeout_s=busy_timeout_s)
        self._db = self._file.db

    async def _run(self, work: Callable[[], T]) -> T:
        return await self._file.run(work)

    async def stats(self, playbook: str, segment: str, arms: Sequence[str]) -> dict[str, ArmStats]:
        marks = ", ".join("?" * len(arms))
        query = f"SELECT * FROM arm_stats WHERE playbook = ? AND segment = ? AND arm IN ({marks})"
        return await self._run(lambda: _from_rows(self._db.execute(query, (playbook, segment, *arms)).fetchall()))

    async def _add(self, playbook: str, segment: str, arm: str, served: int, reward: float) -> None:
        values = (playbook, segment, arm, served, reward, reward * reward)
        await self._run(lambda: self._db.execute(_UPSERT.format(p="?"), values))

    async def serve(self, playbook: str, segment: str, arm: str) -> None:
        await self._add(playbook, segment, arm, 1, 0.0)

    async def credit(self, playbook: str, segment: str, arm: str, reward: float) -> None:
        await self._add(playbook, segment, arm, 0, reward)

    async def reset(self, playbook: str, arm: str | None = None) -> int:
        where, args = ("playbook = ?", (playbook,)) if arm is None else ("playbook = ? AND arm = ?", (playbook, arm))
        return await self._run(lambda: self._db.execute(f"DELETE FROM arm_stats WHERE {where}", args).rowcount)

    async def close(self) -> None:
        await self._file.close()


class PostgresArmStore:
    """Arm statistics in PostgreSQL, in the ledger's schema; open it with `await PostgresArmStore.open(url)`."""

    def __init__(self, pool: AsyncConnectionPool[Any]) -> None:
        self._pool = pool

    @classmethod
    async def open(cls, url: str, *, schema: str = "nextbest", max_size: int = 5) -> PostgresArmStore:
        async def configure(conn: Any) -> None:
            await conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
            await conn.commit()

        pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
            url, min_size=1, max_size=max_size, kwargs={"row_factory": dict_row, "autocommit": True},
            configure=configure, open=False,
        )  # fmt: skip
        try:
            await pool.open(wait=True, timeout=10)
            async with pool.connection() as conn:
                await conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
                await conn.execute(_SQLITE_SCHEMA.replace("REAL", "DOUBLE PRECISION").replace("INTEGER", "BIGINT"))
        except (psycopg.Error, TimeoutError, OSError) as exc:
            await pool.close()
            raise StoreError(f"cannot open the PostgreSQL arm store: {exc}") from exc
        return cls(pool)

    async def _execute(self, query: str, args: Sequence[Any]) -> list[Any]:
        try:
            async with self._pool.connection() as conn:
                cursor = await conn.execute(query, args)
                return await cursor.fetchall() if cursor.description else [cursor.rowcount]
        except psycopg.Error as exc:
            raise StoreError(f"PostgreSQL arm store: {exc}") from exc

    async def stats(self, playbook: str, segment: str, arms: Sequence[str]) -> dict[str, ArmStats]:
        query = "SELECT * FROM arm_stats WHERE playbook = %s AND segment = %s AND arm = ANY(%s)"
        return _from_rows(await self._execute(query, (playbook, segment, list(arms))))

    async def _add(self, playbook: str, segment: str, arm: str, served: int, reward: float) -> None:
        await self._execute(_UPSERT.format(p="%s"), (playbook, segment, arm, served, reward, reward * reward))

    async def serve(self, playbook: str, segment: str, arm: str) -> None:
        await self._add(playbook, segment, arm, 1, 0.0)

    async def credit(self, playbook: str, segment: str, arm: str, reward: float) -> None:
        await self._add(playbook, segment, arm, 0, reward)

    async def reset(self, playbook: str, arm: str | None = None) -> int:
        if arm is None:
            (count,) = await self._execute("DELETE FROM arm_stats WHERE playbook = %s", (playbook,))
        else:
            (count,) = await self._execute("DELETE FROM arm_stats WHERE playbook = %s AND arm = %s", (playbook, arm))
        return int(count)

    async def close(self) -> None:
        await self._pool.close()


class RedisArmStore:
    """Arm statistics in Redis: one hash per (playbook, segment), fields `<arm>|served|total|total_sq`."""

    def __init__(self, url: str, *, prefix: str = "nextbest:arms") -> None:
        self._redis: aioredis.Redis = aioredis.from_url(url, decode_responses=True)
        self._prefix = prefix

    def _key(self, playbook: str, segment: str) -> str:
        return f"{self._prefix}:{playbook}:{segment}"

    async def stats(self, playbook: str, segment: str, arms: Sequence[str]) -> dict[str, ArmStats]:
        fields = [f"{arm}|{part}" for arm in arms for part in ("served", "total", "total_sq")]
        try:
            values = await self._redis.hmget(self._key(playbook, segment), fields)
        except RedisError as exc:
            raise StoreError(f"Redis arm store: {exc}") from exc
        found: dict[str, ArmStats] = {}
        for i, arm in enumerate(arms):
            served, total, square = values[3 * i : 3 * i + 3]
            if served is not None or total is not None:
                found[arm] = ArmStats(int(served or 0), float(total or 0), float(square or 0))
        return found

    async def _add(self, playbook: str, segment: str, arm: str, served: int, reward: float) -> None:
        key = self._key(playbook, segment)
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hincrby(key, f"{arm}|served", served)
                pipe.hincrbyfloat(key, f"{arm}|total", reward)
                pipe.hincrbyfloat(key, f"{arm}|total_sq", reward * reward)
                pipe.sadd(f"{self._prefix}:segments:{playbook}", segment)
                await pipe.execute()
        except RedisError as exc:
            raise StoreError(f"Redis arm store: {exc}") from exc

    async def serve(self, playbook: str, segment: str, arm: str) -> None:
        await self._add(playbook, segment, arm, 1, 0.0)

    async def credit(self, playbook: str, segment: str, arm: str, reward: float) -> None:
        await self._add(playbook, segment, arm, 0, reward)

    async def reset(self, playbook: str, arm: str | None = None) -> int:
        try:
            segments = await self._redis.smembers(f"{self._prefix}:segments:{playbook}")
            forgotten = 0
            for segment in segments:
                key = self._key(playbook, str(segment))
                fields = [str(f) for f in await self._redis.hkeys(key)]
                chosen = [f for f in fields if arm is None or f.rsplit("|", 1)[0] == arm]
                if chosen:
                    forgotten += len({f.rsplit("|", 1)[0] for f in chosen})
                    await self._redis.hdel(key, *chosen)
            return forgotten
        except RedisError as exc:
            raise StoreError(f"Redis arm store: {exc}") from exc

    async def close(self) -> None:
        await self._redis.aclose()


def _sqlite_setup(db: sqlite3.Connection) -> None:
    db.execute(_SQLITE_SCHEMA)
