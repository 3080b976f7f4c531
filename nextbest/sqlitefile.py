"""One SQLite file served by one private thread: what the ledger, the subject store and the arm store share.

WAL with `synchronous=NORMAL`: several processes of one host share the file, and a committed transaction
survives a process kill (not an OS crash; README "Production"). Every call runs on the file's own thread, so
the event loop never blocks on SQLite, and a failure becomes a `StoreError` naming the file.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from .errors import StoreError

__all__ = ["SqliteFile"]

T = TypeVar("T")


class SqliteFile:
    """`what` names the store in errors ("SQLite ledger"); `setup` creates or upgrades its schema once."""

    def __init__(
        self, path: Path | str, *, what: str, setup: Callable[[sqlite3.Connection], None], busy_timeout_s: float
    ) -> None:
        self.path = Path(path)
        self._what = what
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=what.lower().replace(" ", "-"))
        self._closed = False
        try:
            self.db = sqlite3.connect(self.path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            setup(self.db)
        except sqlite3.Error as exc:
            self._executor.shutdown(wait=False)
            raise StoreError(f"cannot open the {what} at {self.path}: {exc}") from exc

    async def run(self, work: Callable[[], T]) -> T:
        """`work()` on the file's thread."""
        if self._closed:
            raise StoreError(f"the {self._what} is closed")
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, work)
        except sqlite3.Error as exc:
            raise StoreError(f"{self._what} {self.path}: {exc}") from exc

    @contextmanager
    def transaction(self, mode: str = "IMMEDIATE") -> Iterator[sqlite3.Connection]:
        """A transaction on the file's thread (inside `run`): committed at the end, rolled back on any error."""
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
        await asyncio.get_running_loop().run_in_executor(self._executor, self.db.close)
        self._executor.shutdown(wait=True)
