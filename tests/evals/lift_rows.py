"""Decision and outcome rows for the lift tests: known customers split into treatment and holdout."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from nextbest.contracts import ActionKind, DecidedBy, DecisionRow, FeedbackOutcome, OutcomeRow

AT = datetime(2030, 6, 7, 8, 9, tzinfo=UTC)


def decision_row(number: int, playbook: str, subject: str, *, holdout: bool) -> DecisionRow:
    return DecisionRow(
        decision_id=f"lift-{playbook}-{number}",
        event_id=f"ev-{playbook}-{number}",
        subject_id=subject,
        use_case=playbook,
        action=ActionKind.NONE if holdout else ActionKind.MESSAGE,
        channel=None,
        placement=None,
        offer_id=None,
        product_ids=[],
        arm=None,
        propensity=None,
        decided_by=DecidedBy.RULES,
        fallback_reason=None,
        policy_version="p7",
        latency_ms=2.0,
        score=0.4,
        guardrails={},
        holdout=holdout,
        transactional=False,
        decided_at=AT,
        recorded_at=AT,
    )


def split(
    playbook: str,
    treated: tuple[int, int],
    held: tuple[int, int],
    *,
    value: float | None = None,
    currency: str | None = None,
) -> tuple[list[DecisionRow], list[OutcomeRow]]:
    """`treated` and `held` are (converted, customers); each customer gets one decision."""
    decisions: list[DecisionRow] = []
    outcomes: list[OutcomeRow] = []
    for holdout, (hits, customers) in ((False, treated), (True, held)):
        for i in range(customers):
            row = decision_row(len(decisions), playbook, f"cust{'H' if holdout else 'T'}{i:05d}", holdout=holdout)
            decisions.append(row)
            if i < hits:
                outcomes.append(
                    OutcomeRow(
                        decision_id=row.decision_id,
                        subject_id=row.subject_id,
                        outcome=FeedbackOutcome.CONVERTED,
                        occurred_at=AT + timedelta(hours=1),
                        value=value,
                        currency=currency,
                    )
                )
    return decisions, outcomes
