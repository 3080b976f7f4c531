"""The SQLite ledger's decision log: the decided/recorded time columns, paged reads, and pruning.

A ledger file made before the log existed gains the two columns on open (backfilled from the bodies), in
one `BEGIN IMMEDIATE` transaction, so workers opening the same file at once upgrade it once.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from nextbest.contracts import Decision, DecisionRow, OutcomeRow

from ._codec import renamed_body, to_us
from ._log_rows import decision_cursor, decision_row, doomed_deletes, outcome_cursor, outcome_row, until_us
from .interface import PruneCounts

__all__ = ["decisions_page", "outcomes_page", "prune", "pseudonymise", "upgrade"]

_INDEXES = """
CREATE INDEX IF NOT EXISTS decisions_by_decided ON decisions (decided_at_us, decision_id);
CREATE INDEX IF NOT EXISTS feedback_by_occurred ON feedback (occurred_at_us, decision_id, outcome);
"""


_ADDED = {
    "decisions": ("reward REAL", "reward_currency TEXT"),
    "feedback": ("value REAL", "currency TEXT"),
}
"""Columns added after the first release (nullable), each on open when missing."""


def _columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {row["name"] for row in db.execute(f"PRAGMA table_info({table})")}


def upgrade(db: sqlite3.Connection) -> None:
    """Add the log's columns when missing (`decided_at_us` and `recorded_at_us` backfilled from the bodies;
    the reward and value columns null), and the log's indexes."""
    db.execute("BEGIN IMMEDIATE")
    try:
        if "decided_at_us" not in _columns(db, "decisions"):
            db.execute("ALTER TABLE decisions ADD COLUMN decided_at_us INTEGER")
            db.execute("ALTER TABLE decisions ADD COLUMN recorded_at_us INTEGER")
            for row in db.execute("SELECT decision_id, body FROM decisions").fetchall():
                decided = to_us(Decision.model_validate_json(row["body"]).decided_at)
                db.execute(
                    "UPDATE decisions SET decided_at_us = ?, recorded_at_us = ? WHERE decision_id = ?",
                    (decided, decided, row["decision_id"]),
                )
        for table, added in _ADDED.items():
            present = _columns(db, table)
            for column in added:
                if column.split()[0] not in present:
                    db.execute(f"ALTER TABLE {table} ADD COLUMN {column}")
        for statement in _INDEXES.strip().splitlines():
            db.execute(statement)
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def decisions_page(
    db: sqlite3.Connection, since: datetime, until: datetime | None, after: DecisionRow | None, limit: int
) -> list[DecisionRow]:
    rows = db.execute(
        "SELECT body, subject_id, recorded_at_us, reward, reward_currency FROM decisions"
        " WHERE decided_at_us >= ? AND decided_at_us < ? AND (decided_at_us, decision_id) > (?, ?)"
        " ORDER BY decided_at_us, decision_id LIMIT ?",
        (to_us(since), until_us(until), *decision_cursor(since, after), limit),
    ).fetchall()
    return [
        decision_row(
            Decision.model_validate_json(row["body"]),
            row["subject_id"],
            row["recorded_at_us"],
            row["reward"],
            row["reward_currency"],
        )
        for row in rows
    ]


def outcomes_page(
    db: sqlite3.Connection, since: datetime, until: datetime | None, after: OutcomeRow | None, limit: int
) -> list[OutcomeRow]:
    rows = db.execute(
        "SELECT decision_id, outcome, occurred_at_us, subject_id, value, currency FROM feedback"
        " WHERE occurred_at_us >= ? AND occurred_at_us < ? AND (occurred_at_us, decision_id, outcome) > (?, ?, ?)"
        " ORDER BY occurred_at_us, decision_id, outcome LIMIT ?",
        (to_us(since), until_us(until), *outcome_cursor(since, after), limit),
    ).fetchall()
    return [outcome_row(row) for row in rows]


_PRUNE = doomed_deletes(":before")


def prune(db: sqlite3.Connection, before: datetime) -> PruneCounts:
    """Delete old decisions with their contacts and feedback; the caller holds a write transaction."""
    bound = {"before": to_us(before)}
    outcomes, contacts, decisions = (db.execute(statement, bound).rowcount for statement in _PRUNE)
    return PruneCounts(decisions=decisions, contacts=contacts, outcomes=outcomes)


def pseudonymise(db: sqlite3.Connection, subject_id: str, pseudonym: str) -> int:
    """Rename a subject throughout the log; the caller holds a write transaction."""
    rows = db.execute("SELECT decision_id, body FROM decisions WHERE subject_id = ?", (subject_id,)).fetchall()
    for row in rows:
        body = renamed_body(Decision.model_validate_json(row["body"]), pseudonym)
        db.execute(
            "UPDATE decisions SET subject_id = ?, body = ? WHERE decision_id = ?", (pseudonym, body, row["decision_id"])
        )
    db.execute("UPDATE contacts SET subject_id = ? WHERE subject_id = ?", (pseudonym, subject_id))
    db.execute("UPDATE feedback SET subject_id = ? WHERE subject_id = ?", (pseudonym, subject_id))
    return len(rows)
