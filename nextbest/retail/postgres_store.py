"""The PostgreSQL retail store: shared by several hosts (`NEXTBEST_DATABASE_URL`), in its own schema.

The store's logic is the SQLite store's (`_core`), run on psycopg 3's connection pool in worker threads, so
the two backends cannot drift apart. A write is one transaction under an advisory lock (versions are handed
out one writer at a time); stock goes in through `COPY` into a temporary table and one `INSERT … ON
CONFLICT`. Reads run in REPEATABLE READ, a snapshot. Migrations are recorded in `retail_migrations` and
applied under an advisory lock, so several workers starting at once is safe.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import psycopg
import pyarrow as pa
from psycopg import sql
from psycopg_pool import ConnectionPool

from nextbest.errors import StoreError

from . import _core
from ._schema import MIGRATIONS, migration_text
from ._stock import stock_chunks
from .interface import Changes, DataSet, RetailBatch, RetailSnapshot, WriteResult

__all__ = ["PostgresRetailStore"]

T = TypeVar("T")
Conn = psycopg.Connection[tuple[Any, ...]]
_WRITE_LOCK = 7_349_211
_MIGRATION_LOCK = 7_349_212
_STOCK_COLUMNS = "product_id, sku, store_id, variant_id, size, quantity, version"


class _PostgresDialect:
    def execute(self, conn: Conn, query: str, params: Sequence[Any] = ()) -> psycopg.Cursor[tuple[Any, ...]]:
        return conn.execute(query.replace("?", "%s"), params)

    def executemany(self, conn: Conn, query: str, rows: Iterable[Sequence[Any]]) -> int:
        rows = list(rows)
        if not rows:
            return 0
        with conn.cursor() as cursor:
            cursor.executemany(query.replace("?", "%s"), rows)
            return max(cursor.rowcount, 0)

    def joined(self, column: str, separator: str) -> str:
        return f"string_agg({column}::text, chr({ord(separator)}) ORDER BY store_id)"

    def upsert_stock(self, conn: Conn, stock: pa.Table, version: int) -> int:
        conn.execute("CREATE TEMP TABLE stock_in (LIKE stock) ON COMMIT DROP")
        with conn.cursor() as cursor:
            with cursor.copy(f"COPY stock_in ({_STOCK_COLUMNS}) FROM STDIN") as copy:
                for rows in stock_chunks(stock, version):
                    for row in rows:
                        copy.write_row(row)
            cursor.execute(
                f"INSERT INTO stock ({_STOCK_COLUMNS}) SELECT DISTINCT ON (product_id, sku, store_id) {_STOCK_COLUMNS}"
                " FROM stock_in ON CONFLICT (product_id, sku, store_id) DO UPDATE SET quantity = excluded.quantity,"
                " variant_id = excluded.variant_id, size = excluded.size, version = excluded.version"
                " WHERE stock.quantity IS DISTINCT FROM excluded.quantity"
            )
            changed = max(cursor.rowcount, 0)
        conn.execute("DROP TABLE stock_in")
        return changed


class PostgresRetailStore:
    """A `RetailStore` in PostgreSQL; open it with `await PostgresRetailStore.open(url, schema=...)`."""

    def __init__(self, pool: ConnectionPool[Conn]) -> None:
        self._pool = pool
        self._dialect = _PostgresDialect()

    @classmethod
    async def open(cls, url: str, *, schema: str = "nextbest", max_size: int = 4) -> PostgresRetailStore:
        """Connect, migrate `schema` to the latest version; StoreError if unreachable."""

        def configure(conn: Conn) -> None:
            conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
            conn.commit()

        def connect() -> ConnectionPool[Conn]:
            pool: ConnectionPool[Conn] = ConnectionPool(
                url, min_size=1, max_size=max_size, kwargs={"autocommit": False}, configure=configure, open=False
            )
            try:
                pool.open(wait=True, timeout=10)
                _migrate(pool, schema)
            except (psycopg.Error, TimeoutError, OSError, psycopg_pool_error()) as exc:
                pool.close()
                raise StoreError(f"cannot open the PostgreSQL retail store: {exc}") from exc
            return pool

        return cls(await asyncio.to_thread(connect))

    async def _run(self, work: Callable[[Conn], T], *, write: bool = False) -> T:
        def call() -> T:
            try:
                with self._pool.connection() as conn:
                    if not write:
                        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                    else:
                        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_WRITE_LOCK,))
                    result = work(conn)
                    conn.commit()
                    return result
            except psycopg.Error as exc:
                raise StoreError(f"PostgreSQL retail store: {exc}") from exc

        return await asyncio.to_thread(call)

    async def write(self, batch: RetailBatch, *, dataset: DataSet | None = None) -> WriteResult:
        return await self._run(lambda conn: _core.write(self._dialect, conn, batch, dataset), write=True)

    async def version(self) -> int:
        return await self._run(lambda conn: _core.current_version(self._dialect, conn))

    async def dataset(self) -> DataSet | None:
        return await self._run(lambda conn: _core.load_dataset(self._dialect, conn))

    async def load(self) -> RetailSnapshot:
        return await self._run(lambda conn: _core.load(self._dialect, conn))

    async def changes_since(self, version: int) -> Changes:
        return await self._run(lambda conn: _core.changes_since(self._dialect, conn, version))

    async def product_ids(self) -> dict[str, str]:
        return await self._run(lambda conn: _core.product_ids(self._dialect, conn))

    async def variants(self) -> dict[str, tuple[str, str | None]]:
        return await self._run(lambda conn: _core.variants(self._dialect, conn))

    async def store_ids(self) -> set[str]:
        return await self._run(lambda conn: _core.store_ids(self._dialect, conn))

    async def close(self) -> None:
        await asyncio.to_thread(self._pool.close)


def psycopg_pool_error() -> type[Exception]:
    from psycopg_pool import PoolTimeout

    return PoolTimeout


def _migrate(pool: ConnectionPool[Conn], schema: str) -> None:
    """Bring `schema` to the latest migration; concurrent starts wait on one advisory lock."""
    with pool.connection() as conn:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        conn.execute(sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(schema)))
        conn.execute("CREATE TABLE IF NOT EXISTS retail_migrations (version INTEGER PRIMARY KEY)")
        row = conn.execute("SELECT coalesce(max(version), 0) FROM retail_migrations").fetchone()
        applied = int(row[0]) if row is not None else 0
        for version, statement in enumerate(MIGRATIONS[applied:], start=applied + 1):
            for part in migration_text(statement, big="BIGINT"):
                conn.execute(part)
            conn.execute("INSERT INTO retail_migrations (version) VALUES (%s)", (version,))
        conn.commit()
