"""The SQLite retail store: one file under the data dir, in WAL mode, shared by the workers of one host.

Every write is one `BEGIN IMMEDIATE` transaction, so versions are handed out one writer at a time; a read is
one transaction too, which in WAL mode is a snapshot: a reader never sees half an import. Calls run on one
private thread per store, because a sqlite3 connection belongs to one thread.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pyarrow as pa

from nextbest.errors import StoreError

from . import _core
from ._schema import MIGRATIONS, migration_text
from ._stock import stock_chunks
from .interface import Changes, DataSet, RetailBatch, RetailSnapshot, WriteResult

__all__ = ["SqliteRetailStore"]

T = TypeVar("T")


class _SqliteDialect:
    def execute(self, conn: sqlite3.Connection, query: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        return conn.execute(query, params)

    def executemany(self, conn: sqlite3.Connection, query: str, rows: Iterable[Sequence[Any]]) -> int:
        before = conn.total_changes
        conn.executemany(query, rows)
        return conn.total_changes - before

    def joined(self, column: str, separator: str) -> str:
        # Both aggregates of a group read its rows in one scan, so the i-th store and i-th quantity pair up.
        return f"group_concat({column}, char({ord(separator)}))"

    def upsert_stock(self, conn: sqlite3.Connection, stock: pa.Table, version: int) -> int:
        changed = 0
        for rows in stock_chunks(stock, version):
            changed += self.executemany(
                conn,
                "INSERT INTO stock (product_id, sku, store_id, variant_id, size, quantity, version)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (product_id, sku, store_id) DO UPDATE SET"
                " quantity = excluded.quantity, variant_id = excluded.variant_id, size = excluded.size,"
                " version = excluded.version WHERE stock.quantity != excluded.quantity",
                rows,
            )
        return changed


class SqliteRetailStore:
    """A `RetailStore` in one SQLite file."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path = path
        self._dialect = _SqliteDialect()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="retail-sqlite")
        self._conn: sqlite3.Connection | None = None
        try:
            self._executor.submit(self._connect).result()
        except (sqlite3.Error, OSError) as exc:
            self._executor.shutdown()
            raise StoreError(f"cannot open the retail store {path}: {exc}") from exc

    def _connect(self) -> None:
        conn = sqlite3.connect(self._path, isolation_level=None, timeout=30, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        self._conn = conn
        with self._transaction(write=True):
            conn.execute("CREATE TABLE IF NOT EXISTS retail_migrations (version INTEGER PRIMARY KEY)")
            applied = conn.execute("SELECT coalesce(max(version), 0) FROM retail_migrations").fetchone()[0]
            for version, statement in enumerate(MIGRATIONS[applied:], start=applied + 1):
                for part in migration_text(statement, big="INTEGER"):
                    conn.execute(part)
                conn.execute("INSERT INTO retail_migrations (version) VALUES (?)", (version,))

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[sqlite3.Connection]:
        conn = self._conn
        assert conn is not None
        conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    async def _run(self, work: Callable[[sqlite3.Connection], T], *, write: bool = False) -> T:
        def call() -> T:
            try:
                with self._transaction(write=write) as conn:
                    return work(conn)
            except sqlite3.Error as exc:
                raise StoreError(f"retail store {self._path}: {exc}") from exc

        return await asyncio.get_running_loop().run_in_executor(self._executor, call)

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
        def shut() -> None:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

        await asyncio.get_running_loop().run_in_executor(self._executor, shut)
        self._executor.shutdown()
