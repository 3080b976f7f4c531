"""Turn a verified proposal into the public Decision, using only what the candidates hold."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from nextbest.contracts import (
    ActionKind,
    ActionProposal,
    CandidateSet,
    DecidedBy,
    Decision,
    FallbackReason,
    GuardrailVerdict,
    OfferPick,
    ProductPick,
)

if TYPE_CHECKING:
    from .pipeline import Moment


def _products(proposal: ActionProposal, candidates: CandidateSet) -> list[ProductPick]:
    picks: list[ProductPick] = []
    for item in proposal.products:
        candidate = candidates.product(item.product_id)
        if candidate is None:  # validation already rejects these; never let one through
            continue
        picks.append(
            ProductPick(
                product_id=candidate.product_id,
                title=candidate.title,
                category=candidate.category,
                price=candidate.price,
                size=item.size,
                store_id=item.store_id or candidate.store_id,
                reason=item.reason,
            )
        )
    return picks


def _offer(proposal: ActionProposal, candidates: CandidateSet) -> OfferPick | None:
    offer = candidates.offer(proposal.offer_id) if proposal.offer_id else None
    if offer is None:
        return None
    return OfferPick(
        offer_id=offer.offer_id,
        title=offer.title,
        discount_percent=offer.discount_percent,
        code=offer.code,
        valid_until=offer.valid_until,
    )


def assemble_decision(
    moment: Moment,
    candidates: CandidateSet,
    proposal: ActionProposal,
    verdicts: list[GuardrailVerdict],
    *,
    decided_by: DecidedBy,
    reason: FallbackReason | None,
    decision_id: str,
) -> Decision:
    request = moment.request
    shown = proposal
    has_action = shown.action is not ActionKind.NONE
    return Decision(
        decision_id=decision_id,
        event_id=request.event.event_id,
        user_id=request.event.user_id,
        action=shown.action,
        use_case=shown.use_case or (moment.playbook.id if moment.playbook else None),
        channel=shown.channel if has_action else None,
        placement=shown.placement if has_action else None,
        products=_products(shown, candidates) if has_action else [],
        offer=_offer(shown, candidates) if has_action else None,
        message=shown.message if has_action else None,
        transactional=shown.transactional and has_action,
        send_at=shown.send_at if has_action else None,
        expires_at=shown.expires_at if has_action else None,
        score=shown.score if has_action else 0.0,
        reasons=shown.reasons,
        guardrails=verdicts,
        decided_by=decided_by,
        fallback_reason=reason if decided_by is DecidedBy.RULES else None,
        policy_version=moment.policies.version,
        holdout=moment.guard.holdout,
        dry_run=request.dry_run,
        decided_at=moment.now,
        latency_ms=round((time.monotonic() - moment.started) * 1000, 3),
        trace=moment.trace,
    )
