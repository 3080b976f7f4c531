"""Record a decision in the ledger, reserving contact capacity atomically.

If another decision for the same customer took the last unit of a cap between our check and our commit,
the ledger refuses the reservation and this decision is downgraded to `none`, with a verdict naming the cap.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from guardrails import reservation_for
from guardrails.ledger import CommitStatus
from nextbest.contracts import (
    ActionKind,
    ActionProposal,
    Decision,
    GuardrailStage,
    GuardrailVerdict,
    VerdictOutcome,
)
from nextbest.errors import StoreError

from .context import DecisionContext

if TYPE_CHECKING:
    from .pipeline import Moment


def request_fingerprint(moment: Moment) -> str:
    return hashlib.sha256(moment.request.model_dump_json().encode()).hexdigest()[:32]


def _downgraded(decision: Decision, cap: str) -> Decision:
    verdict = GuardrailVerdict(
        name="frequency_cap",
        verdict=VerdictOutcome.BLOCK,
        stage=GuardrailStage.POST,
        detail=f"{cap}: the last unit was reserved concurrently by another decision",
    )
    return decision.model_copy(
        update={
            "action": ActionKind.NONE,
            "channel": None,
            "placement": None,
            "products": [],
            "offer": None,
            "message": None,
            "send_at": None,
            "expires_at": None,
            "score": 0.0,
            "transactional": False,
            "reasons": [*decision.reasons, f"held back: {cap} reached at commit time"],
            "guardrails": [*decision.guardrails, verdict],
        }
    )


async def commit_decision(
    moment: Moment, decision: Decision, ctx: DecisionContext, *, would_have: ActionProposal | None
) -> Decision:
    if moment.request.dry_run:
        return decision
    subject = moment.request.event.subject_id
    fingerprint = request_fingerprint(moment)
    offers = ctx.tools.offer_catalog
    reservation = reservation_for(decision, moment.guard, offers=offers)
    result = await ctx.ledger.commit(
        decision, subject_id=subject, request_fingerprint=fingerprint, reservation=reservation, would_have=would_have
    )
    if result.status is CommitStatus.CAP_EXCEEDED:
        downgraded = _downgraded(decision, result.cap or "frequency cap")
        result = await ctx.ledger.commit(downgraded, subject_id=subject, request_fingerprint=fingerprint)
    if result.decision is None:  # only a cap breach stores nothing, and a `none` decision has no caps
        raise StoreError(f"the ledger stored nothing for event {decision.event_id}")
    return result.decision
