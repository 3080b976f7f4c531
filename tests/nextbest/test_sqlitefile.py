"""One SQLite file: calls run inline until they must wait, then on the file's thread, in order."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from nextbest.errors import StoreError
from nextbest.sqlitefile import CHECKPOINT_EVERY, SqliteFile


def _setup(db: sqlite3.Connection) -> None:
    db.execute("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteFile]:
    file = SqliteFile(tmp_path / "notes.sqlite", what="SQLite notes", setup=_setup, busy_timeout_s=5)
    yield file
    await file.close()


def _insert(file: SqliteFile, body: str) -> int:
    with file.transaction() as db:
        return int(db.execute("INSERT INTO notes (body) VALUES (?)", (body,)).lastrowid or 0)


def _bodies(file: SqliteFile) -> list[str]:
    return [row["body"] for row in file.db.execute("SELECT body FROM notes ORDER BY id")]


async def _until(condition: object, what: str) -> None:
    for _ in range(2000):  # a bounded poll: at most ~2 s of loop turns
        if callable(condition) and condition():
            return
        await asyncio.sleep(0.001)
    raise AssertionError(f"never: {what}")


async def test_an_uncontended_call_runs_on_the_loop_thread(store: SqliteFile) -> None:
    seen: list[str] = []

    def work() -> int:
        seen.append(threading.current_thread().name)
        return _insert(store, "trail map")

    assert await store.run(work) == 1
    assert seen == [threading.current_thread().name]


async def test_a_bulk_call_never_runs_on_the_loop(store: SqliteFile) -> None:
    seen: list[str] = []

    def page() -> list[str]:
        seen.append(threading.current_thread().name)
        return _bodies(store)

    assert await store.run(page, bulk=True) == []
    assert seen and seen[0] != threading.current_thread().name


async def test_a_write_locked_by_another_process_waits_on_the_thread_and_later_calls_queue_behind(
    store: SqliteFile,
) -> None:
    other = sqlite3.connect(store.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another worker holds the write lock
    other.execute("INSERT INTO notes (body) VALUES ('from the other worker')")
    threads: list[str] = []

    def write() -> int:
        threads.append(threading.current_thread().name)
        return _insert(store, "from this worker")

    waiting = asyncio.create_task(store.run(write))
    await _until(lambda: len(threads) == 2, "the write was tried inline, then on the thread")
    assert threads[0] == threading.current_thread().name and threads[1] != threads[0]
    reading = asyncio.create_task(store.run(lambda: _bodies(store)))  # issued while the write waits
    other.execute("COMMIT")
    other.close()
    assert await waiting == 2
    assert await reading == ["from the other worker", "from this worker"]


async def test_a_lock_held_past_the_busy_timeout_is_a_store_error(tmp_path: Path) -> None:
    file = SqliteFile(tmp_path / "held.sqlite", what="SQLite notes", setup=_setup, busy_timeout_s=0.05)
    other = sqlite3.connect(file.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreError, match=r"SQLite notes .*held\.sqlite: database is locked"):
            await file.run(lambda: _insert(file, "never written"))
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert await file.run(lambda: _bodies(file)) == []
    await file.close()


async def test_a_failing_statement_names_the_file_and_rolls_back(store: SqliteFile) -> None:
    def broken() -> None:
        with store.transaction() as db:
            db.execute("INSERT INTO notes (body) VALUES ('half done')")
            db.execute("INSERT INTO notes (body) VALUES (NULL)")

    with pytest.raises(StoreError, match=r"SQLite notes .*notes\.sqlite: NOT NULL constraint failed"):
        await store.run(broken)
    assert await store.run(lambda: _bodies(store)) == []


async def test_the_wal_is_checkpointed_into_the_file_off_the_loop(store: SqliteFile) -> None:
    before = store.path.stat().st_size
    for number in range(CHECKPOINT_EVERY):
        await store.run(lambda number=number: _insert(store, f"note {number:04d} " + "x" * 1000))
    await _until(lambda: not store._checkpoints, "the checkpoint finished")
    assert store.path.stat().st_size > before + CHECKPOINT_EVERY * 1000 // 2


async def test_a_closed_file_says_so(tmp_path: Path) -> None:
    file = SqliteFile(tmp_path / "gone.sqlite", what="SQLite notes", setup=_setup, busy_timeout_s=1)
    await file.close()
    with pytest.raises(StoreError, match="the SQLite notes is closed"):
        await file.run(lambda: _bodies(file))
