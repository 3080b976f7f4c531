"""The decision pipeline's steps. The LangGraph graph and the rules-only fast path both compose these.

    open_moment → gather → (model | rules) → verify → commit

Every step is a plain function of the typed context, so each can be tested on its own.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from guardrails import GuardrailInput, PostCheck, PreCheck, check_after, check_before
from guardrails.holdout import in_holdout
from nextbest.contracts import (
    ActionProposal,
    CandidateSet,
    DecidedBy,
    DecideRequest,
    Decision,
    DecisionTrace,
    FallbackReason,
    GuardrailVerdict,
)
from nextbest.policy import Playbook, PolicySet

from . import rules
from ._assemble import assemble_decision
from ._commit import commit_decision
from .candidates import ChannelPermissions, gather_candidates
from .context import DecisionContext
from .facts import Facts, compute_facts

__all__ = ["Moment", "decide_with_rules", "gather", "open_moment", "rules_proposal", "verify"]

HISTORY_DAYS = 35


@dataclass
class Moment:
    """Everything known about one request before anyone decides."""

    request: DecideRequest
    now: datetime
    started: float
    deadline: float
    policies: PolicySet
    facts: Facts
    guard: GuardrailInput
    pre: PreCheck
    playbook: Playbook | None
    trace: DecisionTrace = field(default_factory=DecisionTrace)

    @property
    def remaining_s(self) -> float:
        return self.deadline - time.monotonic()

    def lap(self, step: str, since: float) -> None:
        self.trace.steps_ms[step] = round((time.monotonic() - since) * 1000, 3)


def decision_id_for(event_id: str) -> str:
    """Deterministic, so a retried event maps to the same id even before the ledger answers."""
    return "dec_" + hashlib.sha256(event_id.encode()).hexdigest()[:24]


async def open_moment(request: DecideRequest, ctx: DecisionContext, *, started: float | None = None) -> Moment:
    started = started if started is not None else time.monotonic()
    deadline_ms = request.deadline_ms or ctx.settings.default_deadline_ms
    now = ctx.clock.now()
    policies = ctx.policies.current()
    subject = request.event.subject_id
    history = await ctx.ledger.history(subject, since=now - timedelta(days=HISTORY_DAYS), now=now)
    holdout = request.event.user_id is not None and in_holdout(
        subject, ctx.settings.holdout_percent, ctx.settings.holdout_salt
    )
    props = request.event.properties
    nearest = None
    if props.lat is not None and props.lon is not None:
        stores = ctx.tools.inventory.stores_near(props.lat, props.lon, 25.0)
        nearest = stores[0] if stores else None
    facts = compute_facts(request, now, nearest)
    guard = GuardrailInput(request=request, now=now, policy=policies.guardrails, history=history, holdout=holdout)
    pre = check_before(guard, offers=ctx.tools.offer_catalog)
    matches = rules.matching_playbooks(policies.playbooks, request, facts)
    moment = Moment(
        request=request,
        now=now,
        started=started,
        deadline=started + deadline_ms / 1000,
        policies=policies,
        facts=facts,
        guard=guard,
        pre=pre,
        playbook=matches[0] if matches else None,
    )
    moment.lap("open", started)
    return moment


def gather(moment: Moment, ctx: DecisionContext) -> CandidateSet:
    began = time.monotonic()
    playbook = moment.playbook
    if playbook is None:
        return CandidateSet(playbook_id="")
    permissions = ChannelPermissions(
        channels=moment.pre.transactional_channels if playbook.transactional else moment.pre.allowed_channels,
        blocked_offer_ids=moment.pre.blocked_offer_ids,
        promotions_allowed=moment.pre.promotions_allowed,
        redemptions=moment.guard.history.offer_redemptions(),
    )
    candidates = gather_candidates(
        playbook, moment.request, ctx.tools, permissions, now=moment.now, nearest=moment.facts.nearest
    )
    moment.trace.candidates = {
        "products": len(candidates.products),
        "offers": len(candidates.offers),
        "channels": len(candidates.channels),
    }
    moment.lap("gather", began)
    return candidates


def blocked_reason(moment: Moment) -> str | None:
    """Why nothing may be done at all, before any candidate is looked at; None when something may."""
    playbook = moment.playbook
    if playbook is None:
        return f"no playbook handles event type {moment.request.event.type!r} in this context"
    if playbook.id in moment.pre.blocked_use_cases:
        return f"{playbook.id} is blocked by a cooldown for this customer"
    if moment.pre.hold_back and not playbook.transactional:
        return moment.pre.hold_back
    return None


def rules_proposal(moment: Moment, candidates: CandidateSet) -> ActionProposal:
    """The deterministic answer for this moment: used alone, as the fallback, and in shadow mode."""
    reason = blocked_reason(moment)
    if reason is not None or moment.playbook is None:
        return rules.hold_back(reason or "no playbook", use_case=moment.playbook.id if moment.playbook else None)
    return rules.propose(
        moment.playbook, candidates, request=moment.request, brand=moment.policies.brand, now=moment.now
    )


def verify(proposal: ActionProposal, moment: Moment, candidates: CandidateSet, ctx: DecisionContext) -> PostCheck:
    began = time.monotonic()
    post = check_after(
        proposal,
        moment.guard,
        stock=lambda product_id, size: ctx.tools.inventory.available(product_id, size=size),
        offers=ctx.tools.offer_catalog,
    )
    moment.lap("verify", began)
    return post


def nothing_allowed(moment: Moment, candidates: CandidateSet) -> bool:
    """True when guardrails or the absence of a playbook leave nothing for anyone to decide."""
    return blocked_reason(moment) is not None or not candidates.channels


async def decide_with_rules(
    request: DecideRequest, ctx: DecisionContext, reason: FallbackReason, *, started: float | None = None
) -> Decision:
    """The rules-only path: no model, no graph, the same guardrails."""
    moment = await open_moment(request, ctx, started=started)
    candidates = gather(moment, ctx)
    proposal = rules_proposal(moment, candidates)
    if nothing_allowed(moment, candidates):
        reason = FallbackReason.NOTHING_ALLOWED
    return await finish(moment, candidates, proposal, ctx, decided_by=DecidedBy.RULES, reason=reason)


async def finish(
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
    post = post if post is not None else verify(proposal, moment, candidates, ctx)
    verdicts = [*moment.pre.verdicts, *(extra_verdicts or []), *post.verdicts]
    final = post.proposal
    decision = assemble_decision(
        moment,
        candidates,
        final,
        verdicts,
        decided_by=decided_by,
        reason=reason,
        decision_id=decision_id_for(moment.request.event.event_id),
    )
    return await commit_decision(moment, decision, ctx, would_have=post.would_have)
