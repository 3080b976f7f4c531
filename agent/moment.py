"""One request's moment: what is known before anyone decides, and the one deadline every step reads."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import datetime

from guardrails import GuardrailInput, PreCheck, check_before
from guardrails.holdout import in_holdout
from nextbest.contracts import ActionKind, ArmDraw, CandidateSet, CartItem, DecideRequest, DecisionTrace
from nextbest.policy import Playbook
from tools.data import RetailData

from . import rules
from .candidates import CandidateTools
from .context import DecisionContext
from .deadline import Deadline
from .facts import Facts, compute_facts
from .intake import take_in
from .policies import PolicySet
from .recall import recall_request

__all__ = [
    "Moment",
    "blocked_reason",
    "nothing_allowed",
    "nothing_to_ask",
    "open_moment",
]

STORE_RADIUS_KM = 25.0
"""A location event looks for the nearest store within this radius."""


@dataclass
class Moment:
    """Everything known about one request before anyone decides."""

    request: DecideRequest
    now: datetime
    deadline: Deadline
    policies: PolicySet
    facts: Facts
    guard: GuardrailInput
    pre: PreCheck
    playbook: Playbook | None
    tools: CandidateTools = field(kw_only=True)
    """The context's tools with this policy set's offer book."""
    trace: DecisionTrace = field(default_factory=DecisionTrace)
    draw: ArmDraw | None = None  # the arm a learning playbook drew before anyone decided
    warnings: list[str] = field(default_factory=list)

    def lap(self, step: str, since: float) -> None:
        self.trace.steps_ms[step] = round((time.monotonic() - since) * 1000, 3)


def _grouped_item(item: CartItem, data: RetailData) -> CartItem:
    group = data.resolve(item.product_id)
    if group == item.product_id:
        return item
    size = item.size or data.variant_size(item.product_id)
    return item.model_copy(update={"product_id": group, "size": size, "sku": item.sku or item.product_id})


def grouped(request: DecideRequest, data: RetailData | None) -> DecideRequest:
    """The request with every variant id (viewed product, cart, order) replaced by its product group's id."""
    if data is None:
        return request
    props = request.event.properties
    update: dict[str, object] = {"cart": [_grouped_item(item, data) for item in props.cart]}
    if props.product_id is not None:
        update["product_id"] = data.resolve(props.product_id)
    if props.order is not None:
        items = [_grouped_item(item, data) for item in props.order.items]
        update["order"] = props.order.model_copy(update={"items": items})
    event = request.event.model_copy(update={"properties": props.model_copy(update=update)})
    return request.model_copy(update={"event": event})


async def open_moment(request: DecideRequest, ctx: DecisionContext, deadline: Deadline) -> Moment:
    began = time.monotonic()
    now = ctx.clock.now()
    policies = ctx.policies.current()
    tools = ctx.tools.under(policies.offers)
    request, warnings = take_in(request, policies.intake)  # Segment shapes first: flat `products` become a cart
    request = grouped(request, ctx.tools.data)
    subject = request.event.subject_id
    lookback = policies.guardrails.history_lookback()
    # one read of memory and one of the contact history, side by side
    (request, memory), history = await asyncio.gather(
        recall_request(request, ctx, deadline.model_remaining()),
        ctx.ledger.history(subject, since=now - lookback, now=now),
    )
    holdout = request.event.user_id is not None and in_holdout(
        subject, ctx.settings.holdout_percent, ctx.settings.holdout_salt
    )
    props = request.event.properties
    nearest = None
    if props.lat is not None and props.lon is not None:
        stores = ctx.tools.inventory.stores_near(props.lat, props.lon, STORE_RADIUS_KM)
        nearest = stores[0] if stores else None
    facts = compute_facts(request, now, nearest)
    guard = GuardrailInput(request=request, now=now, policy=policies.guardrails, history=history, holdout=holdout)
    matches = rules.matching_playbooks(policies.playbooks, request, facts)
    moment = Moment(
        request=request,
        now=now,
        deadline=deadline,
        policies=policies,
        facts=facts,
        guard=guard,
        pre=check_before(guard, offers=tools.offer_catalog),
        playbook=matches[0] if matches else None,
        tools=tools,
        warnings=warnings,
    )
    moment.trace.memory = memory
    moment.lap("open", began)
    return moment


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


def nothing_allowed(moment: Moment, candidates: CandidateSet) -> bool:
    """True when guardrails or the absence of a playbook leave nothing for anyone to decide."""
    return blocked_reason(moment) is not None or not candidates.channels


def nothing_to_ask(moment: Moment, candidates: CandidateSet) -> bool:
    """True when no model answer could be anything but `none` or the rules' own: do not spend a call on it.

    A holdout decision is never sent (what it would have been is the rules'), a playbook that needs products
    has none in stock, an offer playbook has no eligible offer.
    """
    playbook = moment.playbook
    if playbook is None or nothing_allowed(moment, candidates) or moment.guard.holdout:
        return True
    if len(candidates.products) < playbook.limits.min_products:
        return True
    return playbook.action is ActionKind.OFFER and not candidates.offers
