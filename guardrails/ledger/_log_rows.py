"""What the three decision-log readers share: the paging cursors, the time bounds, the rows they build, and
which decisions a prune deletes.

Every backend pages by the keyset (time, decision_id[, outcome]) compared in code-point order, the order
Python compares these tuples in; the first page starts at (since, ""), which every stored row is past.
"""

from __future__ import annotations

from datetime import datetime

from nextbest.contracts import Decision, DecisionRow, FeedbackOutcome, OutcomeRow

from ._codec import Row, from_us, to_us

__all__ = [
    "FOREVER_US",
    "decision_cursor",
    "decision_row",
    "doomed_deletes",
    "earned",
    "outcome_cursor",
    "outcome_row",
    "until_us",
]

FOREVER_US = 2**62
"""An upper time bound past any stored moment (and below 2**63, so a BIGINT holds it)."""


def until_us(until: datetime | None) -> int:
    return to_us(until) if until is not None else FOREVER_US


def decision_cursor(since: datetime, after: DecisionRow | None) -> tuple[int, str]:
    """(decided_at_us, decision_id) a page of decisions starts past."""
    return (to_us(after.decided_at), after.decision_id) if after is not None else (to_us(since), "")


def outcome_cursor(since: datetime, after: OutcomeRow | None) -> tuple[int, str, str]:
    """(occurred_at_us, decision_id, outcome) a page of outcomes starts past."""
    if after is None:
        return (to_us(since), "", "")
    return (to_us(after.occurred_at), after.decision_id, after.outcome.value)


def decision_row(
    decision: Decision, subject_id: str, recorded_at_us: int, reward: float | None = None, currency: str | None = None
) -> DecisionRow:
    return DecisionRow.from_decision(
        decision,
        subject_id=subject_id,
        recorded_at=from_us(int(recorded_at_us)),
        reward=float(reward) if reward is not None else None,
        currency=currency or None,
    )


def earned(decision: Decision, outcome: FeedbackOutcome, value: float | None) -> float | None:
    """The reward a first `outcome` earns a decision that drew an arm, stored for the log; None otherwise."""
    return decision.exploration.earned(outcome, value) if decision.exploration is not None else None


def outcome_row(row: Row) -> OutcomeRow:
    """An outcome from a row with decision_id, outcome, occurred_at_us, subject_id, value and currency."""
    value = row["value"]
    return OutcomeRow(
        decision_id=row["decision_id"],
        subject_id=row["subject_id"],
        outcome=FeedbackOutcome(row["outcome"]),
        occurred_at=from_us(int(row["occurred_at_us"])),
        value=float(value) if value is not None and value != "" else None,
        currency=row["currency"] or None,
    )


def doomed_deletes(before: str) -> tuple[str, str, str]:
    """The SQL that prunes: feedback, contacts, then decisions of the doomed decisions, with `before` the
    driver's placeholder for the cut-off (`:before`, `%(before)s`).

    A decision is doomed when it was decided before the cut-off and its contact (if any) lies before it too;
    the set is the same for all three statements, since only doomed decisions lose their contact.
    """
    doomed = (
        f"SELECT decision_id FROM decisions d WHERE decided_at_us < {before} AND NOT EXISTS"
        f" (SELECT 1 FROM contacts c WHERE c.decision_id = d.decision_id AND c.at_us >= {before})"
    )
    feedback, contacts, decisions = (
        f"DELETE FROM {table} WHERE decision_id IN ({doomed})" for table in ("feedback", "contacts", "decisions")
    )
    return feedback, contacts, decisions
