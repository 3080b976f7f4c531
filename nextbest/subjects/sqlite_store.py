"""The SQLite subject store: the default, one file next to the ledger, safe for several workers on one machine.

Like the SQLite ledger: WAL, every write a `BEGIN IMMEDIATE` transaction, calls inline until one must wait
for a lock, then on the file's thread (`nextbest.sqlitefile`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TypeVar

from nextbest.clock import Clock, SystemClock
from nextbest.contracts import Event, ProfileRecord, RememberedEvent, Traits
from nextbest.sqlitefile import SqliteFile

from ._timeline import ANONYMOUS, decode_event, decode_profile, encode_event, merge_profile_record, plan, to_us
from .interface import Forgotten, MemoryBounds, Recall, Recorded

__all__ = ["SqliteSubjectStore"]

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS memory (
    subject_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    occurred_at_us INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (subject_id, event_id)
);
CREATE INDEX IF NOT EXISTS memory_by_time ON memory (subject_id, occurred_at_us);
CREATE TABLE IF NOT EXISTS links (
    anonymous_subject TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    linked_at_us INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS links_by_user ON links (user_id);
CREATE TABLE IF NOT EXISTS profiles (
    user_id TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    updated_at_us INTEGER NOT NULL
);
"""

_TRIM = (
    "DELETE FROM memory WHERE subject_id = :s AND (occurred_at_us < :oldest OR event_id NOT IN"
    " (SELECT event_id FROM memory WHERE subject_id = :s ORDER BY occurred_at_us DESC, event_id DESC LIMIT :n))"
)


class SqliteSubjectStore:
    """A `SubjectStore` in one SQLite file; the schema is created on open and survives restarts."""

    def __init__(
        self,
        path: Path | str,
        *,
        clock: Clock | None = None,
        bounds: MemoryBounds | None = None,
        busy_timeout_s: float = 10.0,
    ) -> None:
        self._clock = clock or SystemClock()
        self._bounds = bounds or MemoryBounds()
        self._file = SqliteFile(path, what="SQLite subject store", setup=_setup, busy_timeout_s=busy_timeout_s)
        self._db = self._file.db

    async def _run(self, work: Callable[[], T], *, bulk: bool = False) -> T:
        return await self._file.run(work, bulk=bulk)

    def _transaction(self, mode: str = "IMMEDIATE") -> AbstractContextManager[sqlite3.Connection]:
        return self._file.transaction(mode)

    async def record(self, events: Sequence[Event]) -> Recorded:
        writes = plan(events)
        return await self._run(lambda: self._record(writes.links, writes.appends, writes.traits))

    def _record(
        self,
        links: list[tuple[str, str]],
        appends: dict[str, list[RememberedEvent]],
        traits: list[tuple[str, Traits]],
    ) -> Recorded:
        now_us = to_us(self._clock.now())
        written = 0
        with self._transaction() as db:
            for anonymous, user in links:
                db.execute(
                    "INSERT INTO links (anonymous_subject, user_id, linked_at_us) VALUES (?, ?, ?)"
                    " ON CONFLICT (anonymous_subject) DO UPDATE SET user_id = excluded.user_id,"
                    " linked_at_us = excluded.linked_at_us",
                    (anonymous, user, now_us),
                )
                written += db.execute(
                    "INSERT OR IGNORE INTO memory (subject_id, event_id, occurred_at_us, body)"
                    " SELECT ?, event_id, occurred_at_us, body FROM memory WHERE subject_id = ?",
                    (user, anonymous),
                ).rowcount
                self._trim(db, user)
            for subject, entries in appends.items():
                for target in self._targets(db, subject):
                    for entry in entries:
                        written += db.execute(
                            "INSERT OR IGNORE INTO memory (subject_id, event_id, occurred_at_us, body)"
                            " VALUES (?, ?, ?, ?)",
                            (target, entry.event_id, to_us(entry.occurred_at), encode_event(entry)),
                        ).rowcount
                    self._trim(db, target)
            for user, update in traits:
                self._put(db, ProfileRecord(user_id=user, traits=update), now_us)
        return Recorded(remembered=written, linked=tuple(a for a, _ in links), profiles_updated=len(traits))

    def _targets(self, db: sqlite3.Connection, subject: str) -> list[str]:
        if not subject.startswith(ANONYMOUS):
            return [subject]
        row = db.execute("SELECT user_id FROM links WHERE anonymous_subject = ?", (subject,)).fetchone()
        return [subject, row["user_id"]] if row is not None else [subject]

    def _trim(self, db: sqlite3.Connection, subject: str) -> None:
        oldest = to_us(self._bounds.oldest(self._clock.now()))
        db.execute(_TRIM, {"s": subject, "oldest": oldest, "n": self._bounds.max_events})

    def _put(self, db: sqlite3.Connection, record: ProfileRecord, now_us: int) -> None:
        row = db.execute("SELECT body FROM profiles WHERE user_id = ?", (record.user_id,)).fetchone()
        merged = merge_profile_record(decode_profile(row["body"]) if row is not None else None, record)
        db.execute(
            "INSERT INTO profiles (user_id, body, updated_at_us) VALUES (?, ?, ?) ON CONFLICT (user_id)"
            " DO UPDATE SET body = excluded.body, updated_at_us = excluded.updated_at_us",
            (record.user_id, merged.model_dump_json(exclude_unset=True), now_us),
        )

    async def recall(self, subject_id: str) -> Recall:
        oldest = to_us(self._bounds.oldest(self._clock.now()))
        return await self._run(lambda: self._recall(subject_id, oldest))

    def _recall(self, subject_id: str, oldest: int) -> Recall:
        with self._transaction("DEFERRED") as db:
            rows = db.execute(
                "SELECT body FROM memory WHERE subject_id = ? AND occurred_at_us >= ?"
                " ORDER BY occurred_at_us DESC, event_id DESC LIMIT ?",
                (subject_id, oldest, self._bounds.max_events),
            ).fetchall()
            profile = db.execute("SELECT body FROM profiles WHERE user_id = ?", (subject_id,)).fetchone()
        events = tuple(reversed([decode_event(row["body"]) for row in rows]))
        stored = (
            decode_profile(profile["body"]) if profile is not None and not subject_id.startswith(ANONYMOUS) else None
        )
        return Recall(events=events, profile=stored)

    async def put_profiles(self, profiles: Sequence[ProfileRecord]) -> int:
        def work() -> int:
            now_us = to_us(self._clock.now())
            with self._transaction() as db:
                for record in profiles:
                    self._put(db, record, now_us)
            return len(profiles)

        return await self._run(work, bulk=True)

    async def forget(self, subject_id: str) -> Forgotten:
        return await self._run(lambda: self._forget(subject_id))

    def _forget(self, subject_id: str) -> Forgotten:
        with self._transaction() as db:
            linked = [
                row["anonymous_subject"]
                for row in db.execute("SELECT anonymous_subject FROM links WHERE user_id = ?", (subject_id,))
            ]
            subjects = (subject_id, *linked)
            marks = ", ".join("?" * len(subjects))
            events = db.execute(f"DELETE FROM memory WHERE subject_id IN ({marks})", subjects).rowcount
            links = db.execute(
                f"DELETE FROM links WHERE user_id = ? OR anonymous_subject IN ({marks})", (subject_id, *subjects)
            ).rowcount
            profile = db.execute("DELETE FROM profiles WHERE user_id = ?", (subject_id,)).rowcount
        return Forgotten(subjects=subjects, events=events, profile=profile > 0, links=links)

    async def close(self) -> None:
        await self._file.close()


def _setup(db: sqlite3.Connection) -> None:
    db.executescript(_SCHEMA)
