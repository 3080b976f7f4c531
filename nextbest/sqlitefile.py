"""One SQLite file per store: what the ledger, the subject store and the arm store share.

WAL with `synchronous=NORMAL`: several processes of one host share the file, and a committed transaction
survives a process kill (not an OS crash; README "Production"). A failure becomes a `StoreError` naming
the file.

Where a call runs: on the event loop itself while nothing waits for the file, and on the file's private
thread otherwise. A WAL read or an uncontended write takes a few µs; a hop to a thread and back costs
~40-75 µs of wall time and wakes two threads, which was most of a rules decision's ledger time. Inline,
the connection never waits (busy timeout 0): if another process holds the write lock, SQLite answers BUSY
at once, before anything was written (every write is one statement or a `BEGIN IMMEDIATE` transaction,
rolled back on error), and the call is retried on the thread with the full busy timeout. Calls made while
the thread is busy queue behind it, so the connection is only ever used by one thread at a time and calls
keep their order. Checkpoints also run on the thread (every `CHECKPOINT_EVERY` calls, passive), so copying
the WAL back into the file never blocks the loop, and so does a `bulk` call (a page of the log, a prune, an
import of profiles): one that may touch many rows never runs inline.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from .errors import StoreError

__all__ = ["CHECKPOINT_EVERY", "SqliteFile"]

T = TypeVar("T")

CHECKPOINT_EVERY = 500
"""Calls between two passive WAL checkpoints on the file's thread (SQLite's own, on commit, is off)."""


def _busy(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(exc, sqlite3.OperationalError) and code is not None and code & 0xFF == sqlite3.SQLITE_BUSY


class SqliteFile:
    """`what` names the store in errors ("SQLite ledger"); `setup` creates or upgrades its schema once."""

    def __init__(
        self, path: Path | str, *, what: str, setup: Callable[[sqlite3.Connection], None], busy_timeout_s: float
    ) -> None:
        self.path = Path(path)
        self._what = what
        self._busy_timeout_ms = max(int(busy_timeout_s * 1000), 0)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=what.lower().replace(" ", "-"))
        self._closed = False
        self._queued = 0
        """Calls handed to the thread and not yet back: while any is, the loop keeps off the connection."""
        self._calls = 0
        self._checkpoints: set[asyncio.Task[None]] = set()
        try:
            self.db = sqlite3.connect(self.path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            setup(self.db)
            self.db.execute("PRAGMA wal_autocheckpoint=0")
            self.db.execute("PRAGMA busy_timeout=0")
        except sqlite3.Error as exc:
            self._executor.shutdown(wait=False)
            raise StoreError(f"cannot open the {what} at {self.path}: {exc}") from exc

    async def run(self, work: Callable[[], T], *, bulk: bool = False) -> T:
        """`work()` against the file: inline when it can be, on the file's thread when it must wait or when
        it is `bulk` (it may read or write many rows)."""
        if self._closed:
            raise StoreError(f"the {self._what} is closed")
        self._calls += 1
        if self._calls % CHECKPOINT_EVERY == 0:
            self._checkpoint_soon()
        if self._queued == 0 and not bulk:
            try:
                return work()
            except sqlite3.Error as exc:
                if not _busy(exc):
                    raise StoreError(f"{self._what} {self.path}: {exc}") from exc
        return await self._on_thread(work)

    async def _on_thread(self, work: Callable[[], T]) -> T:
        """`work()` on the file's thread, waiting up to the busy timeout for another process's lock."""

        def patient() -> T:
            self.db.execute(f"PRAGMA busy_timeout={self._busy_timeout_ms}")
            try:
                return work()
            finally:
                self.db.execute("PRAGMA busy_timeout=0")

        self._queued += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, patient)
        except sqlite3.Error as exc:
            raise StoreError(f"{self._what} {self.path}: {exc}") from exc
        finally:
            self._queued -= 1

    def _checkpoint_soon(self) -> None:
        async def checkpoint() -> None:
            with contextlib.suppress(StoreError):  # the next one retries; a checkpoint only keeps the WAL short
                await self._on_thread(lambda: self.db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall())

        task = asyncio.get_running_loop().create_task(checkpoint())
        self._checkpoints.add(task)
        task.add_done_callback(self._checkpoints.discard)

    @contextmanager
    def transaction(self, mode: str = "IMMEDIATE") -> Iterator[sqlite3.Connection]:
        """A transaction (inside `run`): committed at the end, rolled back on any error."""
        self.db.execute(f"BEGIN {mode}")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._checkpoints:
            await asyncio.gather(*self._checkpoints, return_exceptions=True)
        await asyncio.get_running_loop().run_in_executor(self._executor, self.db.close)
        self._executor.shutdown(wait=True)
