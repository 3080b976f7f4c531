"""The SQLite ledger: the default, one file, safe for several workers and processes on one machine.

WAL lets readers run while one writer commits; every write is a `BEGIN IMMEDIATE` transaction, which
takes the write lock before reading, so a check-and-reserve can never interleave with another one.
Calls run on the event loop while uncontended and on the file's thread when they must wait for another
process's lock (`nextbest.sqlitefile.SqliteFile`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from nextbest.clock import Clock, SystemClock
from nextbest.contracts import (
    ActionProposal,
    Decision,
    DecisionRow,
    FeedbackOutcome,
    FeedbackResponse,
    OutcomeRow,
)
from nextbest.errors import NotFoundError
from nextbest.sqlitefile import SqliteFile

from ..caps import CapCheck, Reservation, find_breaches
from ..contacts import Contact, ContactHistory, ContactStatus, advance_status
from . import _sqlite_log
from ._codec import CONTACT_COLUMNS, as_of, contact_from_row, contact_values, reserved_contact, to_us
from ._log_rows import earned
from .interface import CommitResult, CommitStatus, PruneCounts

__all__ = ["SqliteLedger"]

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS decisions (
    decision_id TEXT PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    subject_id TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    body TEXT NOT NULL,
    would_have TEXT
);
CREATE TABLE IF NOT EXISTS contacts (
    decision_id TEXT PRIMARY KEY REFERENCES decisions (decision_id),
    subject_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    offer_id TEXT,
    use_case TEXT,
    cart_id TEXT,
    transactional INTEGER NOT NULL,
    at_us INTEGER NOT NULL,
    status TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS contacts_by_subject ON contacts (subject_id, at_us);
CREATE TABLE IF NOT EXISTS feedback (
    decision_id TEXT NOT NULL REFERENCES decisions (decision_id),
    outcome TEXT NOT NULL,
    occurred_at_us INTEGER NOT NULL,
    subject_id TEXT NOT NULL,
    PRIMARY KEY (decision_id, outcome)
);
CREATE INDEX IF NOT EXISTS feedback_by_subject ON feedback (subject_id, outcome);
"""


class SqliteLedger:
    """A `Ledger` in one SQLite file; the schema is created on open and survives restarts."""

    def __init__(
        self,
        path: Path | str,
        *,
        clock: Clock | None = None,
        reservation_ttl_s: int = 900,
        busy_timeout_s: float = 10.0,
    ) -> None:
        self._clock = clock or SystemClock()
        self._ttl_s = reservation_ttl_s
        self._file = SqliteFile(path, what="SQLite ledger", setup=_setup, busy_timeout_s=busy_timeout_s)
        self._db = self._file.db

    async def _run(self, work: Callable[[], T], *, bulk: bool = False) -> T:
        return await self._file.run(work, bulk=bulk)

    def _transaction(self, mode: str = "IMMEDIATE") -> AbstractContextManager[sqlite3.Connection]:
        return self._file.transaction(mode)

    async def history(self, subject_id: str, since: datetime, *, now: datetime | None = None) -> ContactHistory:
        as_at = now or self._clock.now()
        return await self._run(lambda: self._history(subject_id, since, as_at))

    def _history(self, subject_id: str, since: datetime, now: datetime) -> ContactHistory:
        with self._transaction("DEFERRED") as db:
            rows = db.execute(
                f"SELECT {CONTACT_COLUMNS} FROM contacts WHERE subject_id = ? AND at_us >= ? ORDER BY at_us",
                (subject_id, to_us(since)),
            ).fetchall()
            converted = db.execute(
                "SELECT 1 FROM feedback WHERE subject_id = ? AND outcome = ? LIMIT 1",
                (subject_id, FeedbackOutcome.CONVERTED.value),
            ).fetchone()
        contacts = tuple(as_of(contact_from_row(row), now, self._ttl_s) for row in rows)
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
        reserved = reserved_contact(reservation, decision)
        caps = reservation.caps if reservation is not None else ()
        extra = would_have.model_dump_json() if would_have is not None else None
        return await self._run(
            lambda: self._commit(decision, subject_id, request_fingerprint, tuple(caps), reserved, extra)
        )

    def _commit(
        self,
        decision: Decision,
        subject_id: str,
        fingerprint: str,
        caps: tuple[CapCheck, ...],
        contact: Contact | None,
        would_have: str | None,
    ) -> CommitResult:
        now = self._clock.now()
        with self._transaction() as db:
            row = db.execute(
                "SELECT body, fingerprint FROM decisions WHERE event_id = ?", (decision.event_id,)
            ).fetchone()
            if row is not None:
                stored = Decision.model_validate_json(row["body"])
                return CommitResult(
                    CommitStatus.DUPLICATE, stored, fingerprint_matches=row["fingerprint"] == fingerprint
                )
            if contact is not None and caps:
                breach = self._first_breach(db, subject_id, caps, now)
                if breach is not None:
                    return CommitResult(CommitStatus.CAP_EXCEEDED, None, cap=breach)
            db.execute(
                "INSERT INTO decisions (decision_id, event_id, subject_id, fingerprint, body, would_have,"
                " decided_at_us, recorded_at_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    decision.decision_id,
                    decision.event_id,
                    subject_id,
                    fingerprint,
                    decision.model_dump_json(),
                    would_have,
                    to_us(decision.decided_at),
                    to_us(now),
                ),
            )
            if contact is not None:
                db.execute(
                    f"INSERT INTO contacts (subject_id, {CONTACT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    contact_values(subject_id, contact),
                )
        return CommitResult(CommitStatus.CREATED, decision)

    def _first_breach(
        self, db: sqlite3.Connection, subject_id: str, caps: tuple[CapCheck, ...], now: datetime
    ) -> str | None:
        rows = db.execute(
            f"SELECT {CONTACT_COLUMNS} FROM contacts WHERE subject_id = ? AND at_us >= ? AND at_us < ?",
            (subject_id, to_us(min(cap.since for cap in caps)), to_us(max(cap.until for cap in caps))),
        ).fetchall()
        counted = [as_of(contact_from_row(row), now, self._ttl_s) for row in rows]
        breaches = find_breaches(caps, counted)
        return breaches[0].check.name if breaches else None

    async def find_by_event(self, event_id: str) -> Decision | None:
        return await self._run(lambda: self._decision_where("event_id", event_id))

    async def get_decision(self, decision_id: str) -> Decision | None:
        return await self._run(lambda: self._decision_where("decision_id", decision_id))

    def _decision_where(self, column: str, value: str) -> Decision | None:
        # `column` is one of two literals above, never caller input
        row = self._db.execute(f"SELECT body FROM decisions WHERE {column} = ?", (value,)).fetchone()
        return Decision.model_validate_json(row["body"]) if row is not None else None

    async def would_have(self, decision_id: str) -> ActionProposal | None:
        def read() -> ActionProposal | None:
            row = self._db.execute("SELECT would_have FROM decisions WHERE decision_id = ?", (decision_id,)).fetchone()
            if row is None or row["would_have"] is None:
                return None
            return ActionProposal.model_validate_json(row["would_have"])

        return await self._run(read)

    async def record_feedback(
        self,
        decision_id: str,
        outcome: FeedbackOutcome,
        occurred_at: datetime,
        *,
        value: float | None = None,
        currency: str | None = None,
    ) -> FeedbackResponse:
        valued = (value, currency)
        return await self._run(lambda: self._feedback(decision_id, outcome, occurred_at, valued))

    def _feedback(
        self, decision_id: str, outcome: FeedbackOutcome, occurred_at: datetime, valued: tuple[float | None, str | None]
    ) -> FeedbackResponse:
        with self._transaction() as db:
            row = db.execute("SELECT subject_id, body FROM decisions WHERE decision_id = ?", (decision_id,)).fetchone()
            if row is None:
                raise NotFoundError("decision", decision_id)
            inserted = db.execute(
                "INSERT OR IGNORE INTO feedback (decision_id, outcome, occurred_at_us, subject_id, value, currency)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (decision_id, outcome.value, to_us(occurred_at), row["subject_id"], *valued),
            ).rowcount
            if inserted == 0:
                return FeedbackResponse(decision_id=decision_id, outcome=outcome, recorded=True, duplicate=True)
            reward = earned(Decision.model_validate_json(row["body"]), outcome, valued[0])
            if reward is not None:
                db.execute(
                    "UPDATE decisions SET reward = ?, reward_currency = ? WHERE decision_id = ?",
                    (reward, valued[1], decision_id),
                )
            contact = db.execute("SELECT status FROM contacts WHERE decision_id = ?", (decision_id,)).fetchone()
            if contact is not None:
                status = advance_status(ContactStatus(contact["status"]), outcome)
                db.execute("UPDATE contacts SET status = ? WHERE decision_id = ?", (status.value, decision_id))
        return FeedbackResponse(decision_id=decision_id, outcome=outcome, recorded=True)

    async def decisions_since(
        self,
        since: datetime,
        *,
        until: datetime | None = None,
        after: DecisionRow | None = None,
        limit: int = 1000,
    ) -> list[DecisionRow]:
        return await self._run(lambda: _sqlite_log.decisions_page(self._db, since, until, after, limit), bulk=True)

    async def outcomes_since(
        self,
        since: datetime,
        *,
        until: datetime | None = None,
        after: OutcomeRow | None = None,
        limit: int = 1000,
    ) -> list[OutcomeRow]:
        return await self._run(lambda: _sqlite_log.outcomes_page(self._db, since, until, after, limit), bulk=True)

    async def prune(self, before: datetime) -> PruneCounts:
        def work() -> PruneCounts:
            with self._transaction():
                return _sqlite_log.prune(self._db, before)

        return await self._run(work, bulk=True)

    async def pseudonymise(self, subject_id: str, pseudonym: str) -> int:
        def work() -> int:
            with self._transaction() as db:
                return _sqlite_log.pseudonymise(db, subject_id, pseudonym)

        return await self._run(work, bulk=True)

    async def close(self) -> None:
        await self._file.close()


def _setup(db: sqlite3.Connection) -> None:
    db.execute("PRAGMA foreign_keys=ON")
    db.executescript(_SCHEMA)
    _sqlite_log.upgrade(db)
