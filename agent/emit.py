"""The last step: verify the final proposal, assemble the public Decision, and commit it to the ledger.

Assembling uses only what the candidates hold. Committing reserves contact capacity atomically: if another
decision for the same customer took the last unit of a cap between our check and our commit, the ledger
refuses the reservation and this decision is downgraded to `none`, with a verdict naming the cap.
"""

from __future__ import annotations

import hashlib
import time

from guardrails import PostCheck, check_after, reservation_for
from guardrails.ledger import CommitStatus
from nextbest.contracts import (
    ActionKind,
    ActionProposal,
    CandidateSet,
    DecidedBy,
    Decision,
    FallbackReason,
    GuardrailStage,
    GuardrailVerdict,
    OfferPick,
    ProductPick,
    VerdictOutcome,
)
from nextbest.errors import StoreError

from .context import DecisionContext
from .moment import Moment

__all__ = ["decision_id_for", "emit_decision", "verify"]


def decision_id_for(event_id: str) -> str:
    """Deterministic, so a retried event maps to the same id even before the ledger answers."""
    return "dec_" + hashlib.sha256(event_id.encode()).hexdigest()[:24]


def verify(proposal: ActionProposal, moment: Moment, ctx: DecisionContext) -> PostCheck:
    """The post-decision guardrails on one proposal (the model's or the rules')."""
    began = time.monotonic()
    post = check_after(
        proposal,
        moment.guard,
        stock=lambda product_id, size: ctx.tools.inventory.available(product_id, size=size),
        offers=moment.tools.offer_catalog,
    )
    moment.lap("verify", began)
    return post


def _sku(moment: Moment, product_id: str, size: str | None, store_id: str | None, wanted: str | None) -> str | None:
    """The variant a pick names: the one the customer chose when it is in stock in `size` (at `store_id`), else
    the first such variant; a one-SKU product's own id or only variant (its stock is kept by product); else None."""
    fits = [
        variant
        for variant_size, variant in moment.tools.inventory.variants_in_stock(product_id, store_id)
        if size is None or variant_size == size
    ]
    if fits:
        return wanted if wanted in fits else fits[0]
    product = moment.tools.catalog.get(product_id)
    if product is not None and not product.variants:  # a feed row without a group: its id is the SKU
        return product.product_id
    only = product.variants if product is not None and len(product.variants) == 1 else []
    return only[0].variant_id if only and (size is None or only[0].size == size) else None


def _chosen_skus(moment: Moment) -> dict[str, str]:
    """The variant the request named for each product group (in the cart or the order)."""
    props = moment.request.event.properties
    items = [*props.cart, *(props.order.items if props.order is not None else [])]
    return {item.product_id: item.sku for item in items if item.sku}


def _products(proposal: ActionProposal, candidates: CandidateSet, moment: Moment) -> list[ProductPick]:
    picks: list[ProductPick] = []
    wanted = _chosen_skus(moment)
    for item in proposal.products:
        candidate = candidates.product(item.product_id)
        if candidate is None:  # validation already rejects these; never let one through
            continue
        store_id = item.store_id or candidate.store_id
        sku = _sku(moment, candidate.product_id, item.size, store_id, wanted.get(candidate.product_id))
        picks.append(
            ProductPick(
                product_id=candidate.product_id,
                title=candidate.title,
                category=candidate.category,
                price=candidate.price,
                size=item.size,
                sku=sku,
                store_id=store_id,
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
        money_off_amount=offer.money_off_amount,
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
        products=_products(shown, candidates, moment) if has_action else [],
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
        exploration=moment.draw,
        dry_run=request.dry_run,
        decided_at=moment.now,
        latency_ms=moment.deadline.elapsed_ms(),
        trace=moment.trace,
        warnings=moment.warnings,
    )


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
    offers = moment.tools.offer_catalog
    reservation = reservation_for(decision, moment.guard, offers=offers)
    result = await ctx.ledger.commit(
        decision, subject_id=subject, request_fingerprint=fingerprint, reservation=reservation, would_have=would_have
    )
    if result.status is CommitStatus.CAP_EXCEEDED:
        downgraded = _downgraded(decision, result.cap or "frequency cap")
        result = await ctx.ledger.commit(downgraded, subject_id=subject, request_fingerprint=fingerprint)
    if result.decision is None:  # only a cap breach stores nothing, and a `none` decision has no caps
        raise StoreError(f"the ledger stored nothing for event {decision.event_id}")
    if result.status is CommitStatus.DUPLICATE:  # a concurrent retry of this event was stored first
        return result.decision.model_copy(update={"replayed": True})
    if ctx.learner is not None and result.decision.exploration is not None:
        await ctx.learner.served(result.decision)
    return result.decision


async def emit_decision(
    moment: Moment,
    candidates: CandidateSet,
    proposal: ActionProposal,
    ctx: DecisionContext,
    *,
    decided_by: DecidedBy,
    reason: FallbackReason | None,
    extra_verdicts: list[GuardrailVerdict] | None = None,
    post: PostCheck | None = None,
) -> Decision:
    """Verify (unless `post` already judged this proposal), assemble and commit; the ledger's atomic cap
    check may still downgrade the action."""
    post = post if post is not None else verify(proposal, moment, ctx)
    verdicts = [*moment.pre.verdicts, *(extra_verdicts or []), *post.verdicts]
    decision = assemble_decision(
        moment,
        candidates,
        post.proposal,
        verdicts,
        decided_by=decided_by,
        reason=reason,
        decision_id=decision_id_for(moment.request.event.event_id),
    )
    return await commit_decision(moment, decision, ctx, would_have=post.would_have)
