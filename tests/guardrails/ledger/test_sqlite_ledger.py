"""What only the SQLite ledger must show: it survives restarts and several connections and processes."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from guardrails.ledger import CommitStatus, SqliteLedger
from nextbest.clock import FixedClock
from nextbest.errors import StoreError

if TYPE_CHECKING:
    from conftest import Book

# A child process that commits `count` email decisions numbered from `start` for one user.
_CHILD = """
import asyncio, sys
from datetime import datetime
from guardrails import GuardrailInput, GuardrailPolicy, reservation_for
from guardrails.ledger import SqliteLedger
from nextbest.clock import FixedClock
from nextbest.contracts import DecideRequest, Decision

path, start, count, now = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), datetime.fromisoformat(sys.argv[4])
request = DecideRequest.model_validate(
    {"event": {"event_id": "e", "type": "page_view", "occurred_at": now.isoformat(), "user_id": "u1"}}
)

async def main() -> None:
    ledger = SqliteLedger(path, clock=FixedClock(now))
    inp = GuardrailInput(request=request, now=now, policy=GuardrailPolicy())
    print("ready", flush=True)
    sys.stdin.readline()  # the parent says go once every child is ready, so the commits overlap
    for n in range(start, start + count):
        decision = Decision(decision_id=f"dec-{n}", event_id=f"evt-{n}", user_id="u1", action="message",
                            channel="email", decided_by="rules", policy_version="t", decided_at=now)
        result = await ledger.commit(decision, subject_id="u1", request_fingerprint="fp",
                                     reservation=reservation_for(decision, inp))
        print(result.status.value)
    await ledger.close()

asyncio.run(main())
"""


def _child(path: Path, start: int, count: int, clock: FixedClock) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(path), str(start), str(count), clock.now().isoformat()],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _run_together(children: list[subprocess.Popen[str]]) -> list[str]:
    """Release every child at once, then collect what each printed; never leave a child behind."""
    try:
        for child in children:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "ready"
        for child in children:
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        statuses: list[str] = []
        for child in children:
            out, err = child.communicate(timeout=90)
            assert child.returncode == 0, err
            statuses += out.split()
        return statuses
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
            child.communicate()


async def test_survives_a_reopen(tmp_path: Path, book: Book, clock: FixedClock) -> None:
    path = tmp_path / "ledger.sqlite3"
    first = SqliteLedger(path, clock=clock)
    decision = book.decision(1)
    await book.commit(first, decision)
    await first.close()
    reopened = SqliteLedger(path, clock=clock)
    try:
        assert await reopened.find_by_event("evt-1") == decision
        assert len((await reopened.history("u1", book.since())).contacts) == 1
        assert (await book.commit(reopened, book.decision(2))).status is CommitStatus.CAP_EXCEEDED
    finally:
        await reopened.close()


async def test_survives_a_process_restart(tmp_path: Path, book: Book, clock: FixedClock) -> None:
    path = tmp_path / "ledger.sqlite3"
    assert _run_together([_child(path, 1, 1, clock)]) == ["created"]
    ledger = SqliteLedger(path, clock=clock)
    try:
        assert (await ledger.get_decision("dec-1")) is not None
        assert (await book.commit(ledger, book.decision(2))).status is CommitStatus.CAP_EXCEEDED
    finally:
        await ledger.close()


def test_two_processes_racing_reserve_one_email(tmp_path: Path, clock: FixedClock) -> None:
    path = tmp_path / "ledger.sqlite3"
    # create the schema before the race, as a server start would
    asyncio.run(SqliteLedger(path, clock=clock).close())
    statuses = _run_together([_child(path, 0, 25, clock), _child(path, 100, 25, clock)])
    assert len(statuses) == 50
    assert statuses.count("created") == 1
    assert statuses.count("cap_exceeded") == 49


def test_threads_with_their_own_connections_reserve_one_email(tmp_path: Path, book: Book, clock: FixedClock) -> None:
    path = tmp_path / "ledger.sqlite3"
    statuses: list[CommitStatus] = []
    lock = threading.Lock()
    start = threading.Barrier(5)

    def worker(offset: int) -> None:
        async def run() -> None:
            ledger = SqliteLedger(path, clock=clock)
            try:
                start.wait()
                results = await asyncio.gather(*(book.commit(ledger, book.decision(offset + n)) for n in range(10)))
            finally:
                await ledger.close()
            with lock:
                statuses.extend(result.status for result in results)

        asyncio.run(run())

    threads = [threading.Thread(target=worker, args=(offset * 100,)) for offset in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(statuses) == 50
    assert statuses.count(CommitStatus.CREATED) == 1


async def test_closed_ledger_raises_store_error(tmp_path: Path, clock: FixedClock) -> None:
    ledger = SqliteLedger(tmp_path / "ledger.sqlite3", clock=clock)
    await ledger.close()
    await ledger.close()  # closing twice is harmless
    with pytest.raises(StoreError, match="closed"):
        await ledger.get_decision("dec-1")


def test_unopenable_path_raises_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot open"):
        SqliteLedger(tmp_path / "missing-dir" / "ledger.sqlite3")


async def test_uses_wal(tmp_path: Path) -> None:
    import sqlite3

    ledger = SqliteLedger(tmp_path / "ledger.sqlite3")
    await ledger.close()
    with sqlite3.connect(tmp_path / "ledger.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
