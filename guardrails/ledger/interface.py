"""The contact ledger's contract, shared by the SQLite, Redis and PostgreSQL implementations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from nextbest.contracts import (
    ActionProposal,
    Decision,
    DecisionRow,
    FeedbackOutcome,
    FeedbackResponse,
    OutcomeRow,
)

from ..caps import Reservation
from ..contacts import ContactHistory

__all__ = ["CommitResult", "CommitStatus", "Ledger", "PruneCounts"]


class CommitStatus(StrEnum):
    CREATED = "created"
    DUPLICATE = "duplicate"
    CAP_EXCEEDED = "cap_exceeded"


@dataclass(frozen=True)
class CommitResult:
    """The outcome of `Ledger.commit`.

    `decision` is what is stored for the event: the new decision when created, the first one for a
    duplicate event, None when a cap was exceeded (nothing was stored). `fingerprint_matches` is False
    when a duplicate event_id came with a different request, which callers may want to reject.
    """

    status: CommitStatus
    decision: Decision | None
    cap: str | None = None
    fingerprint_matches: bool = True


@dataclass(frozen=True)
class PruneCounts:
    """What `Ledger.prune` deleted: decisions, the contacts they reserved, and their outcomes."""

    decisions: int = 0
    contacts: int = 0
    outcomes: int = 0


class Ledger(Protocol):
    """Decisions, the contacts they made and the feedback on them, durable across restarts and workers."""

    async def history(self, subject_id: str, since: datetime, *, now: datetime | None = None) -> ContactHistory:
        """Contacts at or after `since` and whether the subject ever converted.

        A reservation past its TTL at `now` (default: the ledger's clock) shows as `released`.
        """
        ...

    async def commit(
        self,
        decision: Decision,
        *,
        subject_id: str,
        request_fingerprint: str,
        reservation: Reservation | None = None,
        would_have: ActionProposal | None = None,
    ) -> CommitResult:
        """Store a decision, and reserve its contact within its caps, in one atomic step (see the package doc).

        `would_have` is what a holdout decision would have done, kept for lift measurement.
        """
        ...

    async def find_by_event(self, event_id: str) -> Decision | None: ...

    async def get_decision(self, decision_id: str) -> Decision | None: ...

    async def would_have(self, decision_id: str) -> ActionProposal | None:
        """What a holdout decision would have done, as stored by `commit(would_have=...)`."""
        ...

    async def record_feedback(
        self,
        decision_id: str,
        outcome: FeedbackOutcome,
        occurred_at: datetime,
        *,
        value: float | None = None,
        currency: str | None = None,
    ) -> FeedbackResponse:
        """Record one outcome once, with a converted outcome's value and currency; raises NotFoundError for an
        unknown decision. A first outcome that earns a learning playbook's reward stores it on the decision
        (`DecisionRow.reward`), with the currency of a revenue reward."""
        ...

    async def decisions_since(
        self,
        since: datetime,
        *,
        until: datetime | None = None,
        after: DecisionRow | None = None,
        limit: int = 1000,
    ) -> list[DecisionRow]:
        """One page of the decision log: decided at or after `since` and before `until`, ordered by
        (decided_at, decision_id), starting past `after` (the last row of the previous page)."""
        ...

    async def outcomes_since(
        self,
        since: datetime,
        *,
        until: datetime | None = None,
        after: OutcomeRow | None = None,
        limit: int = 1000,
    ) -> list[OutcomeRow]:
        """One page of outcomes: occurred at or after `since` and before `until`, ordered by
        (occurred_at, decision_id, outcome), starting past `after`."""
        ...

    async def prune(self, before: datetime) -> PruneCounts:
        """Delete decisions decided before `before`, with their contact and outcomes; a decision whose
        contact is at or after `before` (a scheduled send) is kept. Callers choose `before` with
        `guardrails.ledger.log.prune_cutoff`, so no cap window loses a contact it still counts."""
        ...

    async def pseudonymise(self, subject_id: str, pseudonym: str) -> int:
        """Erasure: rename the subject to `pseudonym` in every row of the decision log (decisions, their
        contacts and outcomes, and the decisions' `user_id`), so the log keeps its counts but no longer names
        the person. Returns how many decisions were renamed."""
        ...

    async def close(self) -> None: ...
