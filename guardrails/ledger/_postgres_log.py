"""The PostgreSQL ledger's decision log: its migration, paged reads, and pruning.

Ids compare with COLLATE "C" (code-point order), the order Python compares the paging cursor in, whatever
the database's collation is.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg

from nextbest.contracts import Decision, DecisionRow, OutcomeRow

from ._codec import to_us
from ._log_rows import decision_cursor, decision_row, doomed_deletes, outcome_cursor, outcome_row, until_us
from .interface import PruneCounts

__all__ = ["LOG_MIGRATION", "REWARD_MIGRATION", "decisions_page", "outcomes_page", "prune", "pseudonymise"]

Conn = psycopg.AsyncConnection[dict[str, Any]]

LOG_MIGRATION = """
ALTER TABLE decisions ADD COLUMN decided_at_us BIGINT, ADD COLUMN recorded_at_us BIGINT;
UPDATE decisions SET decided_at_us = (extract(epoch FROM (body->>'decided_at')::timestamptz) * 1000000)::bigint;
UPDATE decisions SET recorded_at_us = decided_at_us;
ALTER TABLE decisions ALTER COLUMN decided_at_us SET NOT NULL, ALTER COLUMN recorded_at_us SET NOT NULL;
CREATE INDEX decisions_by_decided ON decisions (decided_at_us, (decision_id COLLATE "C"));
CREATE INDEX feedback_by_occurred ON feedback (occurred_at_us, (decision_id COLLATE "C"), (outcome COLLATE "C"));
"""
"""Migration 2: the decided and recorded times as columns, and the indexes the log pages along."""

REWARD_MIGRATION = """
ALTER TABLE decisions ADD COLUMN reward DOUBLE PRECISION, ADD COLUMN reward_currency TEXT;
ALTER TABLE feedback ADD COLUMN value DOUBLE PRECISION, ADD COLUMN currency TEXT;
"""
"""Migration 3: a feedback's value and currency, and the reward a decision earned (log schema 2)."""


async def decisions_page(
    conn: Conn, since: datetime, until: datetime | None, after: DecisionRow | None, limit: int
) -> list[DecisionRow]:
    result = await conn.execute(
        "SELECT body, subject_id, recorded_at_us, reward, reward_currency FROM decisions"
        " WHERE decided_at_us >= %s AND decided_at_us < %s"
        ' AND (decided_at_us, decision_id COLLATE "C") > (%s, %s COLLATE "C")'
        ' ORDER BY decided_at_us, decision_id COLLATE "C" LIMIT %s',
        (to_us(since), until_us(until), *decision_cursor(since, after), limit),
    )
    return [
        decision_row(
            Decision.model_validate(row["body"]),
            row["subject_id"],
            row["recorded_at_us"],
            row["reward"],
            row["reward_currency"],
        )
        for row in await result.fetchall()
    ]


async def outcomes_page(
    conn: Conn, since: datetime, until: datetime | None, after: OutcomeRow | None, limit: int
) -> list[OutcomeRow]:
    result = await conn.execute(
        "SELECT decision_id, outcome, occurred_at_us, subject_id, value, currency FROM feedback"
        " WHERE occurred_at_us >= %s AND occurred_at_us < %s"
        ' AND (occurred_at_us, decision_id COLLATE "C", outcome COLLATE "C") > (%s, %s COLLATE "C", %s COLLATE "C")'
        ' ORDER BY occurred_at_us, decision_id COLLATE "C", outcome COLLATE "C" LIMIT %s',
        (to_us(since), until_us(until), *outcome_cursor(since, after), limit),
    )
    return [outcome_row(row) for row in await result.fetchall()]


_PRUNE = doomed_deletes("%(before)s")


async def prune(conn: Conn, before: datetime) -> PruneCounts:
    """Delete old decisions with their contacts and feedback, inside the caller's transaction."""
    bound = {"before": to_us(before)}
    outcomes, contacts, decisions = [(await conn.execute(statement, bound)).rowcount for statement in _PRUNE]
    return PruneCounts(decisions=decisions, contacts=contacts, outcomes=outcomes)


async def pseudonymise(conn: Conn, subject_id: str, pseudonym: str) -> int:
    """Rename a subject throughout the log, inside the caller's transaction."""
    decisions = await conn.execute(
        "UPDATE decisions SET subject_id = %(p)s, body = CASE WHEN body->>'user_id' IS NULL THEN body"
        " ELSE jsonb_set(body, '{user_id}', to_jsonb(%(p)s::text)) END WHERE subject_id = %(s)s",
        {"p": pseudonym, "s": subject_id},
    )
    await conn.execute("UPDATE contacts SET subject_id = %s WHERE subject_id = %s", (pseudonym, subject_id))
    await conn.execute("UPDATE feedback SET subject_id = %s WHERE subject_id = %s", (pseudonym, subject_id))
    return decisions.rowcount
