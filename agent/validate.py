"""Check the model's answer against the candidates and the playbook. The model advises; code decides.

A wrong answer is a policy outcome, not a fault: `validate_choice` returns a typed `Rejection` naming the
FallbackReason the decision will carry, and the graph decides whether a repair turn is worth it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from nextbest.contracts import (
    ActionKind,
    ActionProposal,
    CandidateSet,
    FallbackReason,
    MessageCopy,
    ModelChoice,
    ProposedProduct,
)
from nextbest.policy import Playbook

from .prompt import neutralise

__all__ = ["Rejection", "check_copy", "validate_choice"]


@dataclass(frozen=True)
class Rejection:
    """Why an answer cannot be used; `reason` is the fallback reason the decision carries if it stands."""

    reason: FallbackReason
    detail: str

    def __str__(self) -> str:
        return f"{self.reason.value}: {self.detail}"


_PERCENT = re.compile(r"(\d{1,3})\s?%")
_URL_OR_CONTACT = re.compile(r"https?://|www\.|\S+@\S+\.\w+|\+?\d[\d\s().-]{8,}\d")


def check_copy(message: MessageCopy, *, discount: float | None, title_max: int, body_max: int) -> str | None:
    """The problem with a piece of copy, or None. Injected instructions and invented discounts fail here."""
    if len(message.title) > title_max:
        return f"title is {len(message.title)} characters, the limit is {title_max}"
    if len(message.body) > body_max:
        return f"body is {len(message.body)} characters, the limit is {body_max}"
    text = " ".join(part for part in (message.title, message.body, message.cta or "") if part)
    if neutralise(text) != text:
        return "copy contains instruction-like or contact text taken from untrusted data"
    if _URL_OR_CONTACT.search(text):
        return "copy contains a URL, e-mail address or phone number"
    for match in _PERCENT.finditer(text):
        if discount is None or float(match.group(1)) != discount:
            return f"copy promises {match.group(0)} but the attached offer gives {discount or 0:g}%"
    return None


def _parse(raw: dict[str, Any] | None) -> ModelChoice | Rejection:
    if raw is None:
        return Rejection(FallbackReason.INVALID_OUTPUT, "no final answer")
    try:
        return ModelChoice.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return Rejection(FallbackReason.INVALID_OUTPUT, f"{where}: {first['msg']}")


def _check_ids(choice: ModelChoice, candidates: CandidateSet) -> Rejection | None:
    unknown = [pid for pid in choice.product_ids if candidates.product(pid) is None]
    if unknown:
        return Rejection(FallbackReason.HALLUCINATED_ID, f"products not among the candidates: {unknown}")
    if choice.offer_id is not None and candidates.offer(choice.offer_id) is None:
        return Rejection(FallbackReason.HALLUCINATED_ID, f"offer {choice.offer_id!r} is not eligible")
    return None


def _check_shape(choice: ModelChoice, playbook: Playbook, candidates: CandidateSet) -> Rejection | None:
    invalid = FallbackReason.INVALID_OUTPUT
    if choice.action not in (playbook.action, ActionKind.NONE):
        return Rejection(
            invalid,
            f"action {choice.action.value!r} is not allowed by playbook {playbook.id} "
            f"(expected {playbook.action.value!r} or 'none')",
        )
    if choice.action is ActionKind.NONE:
        return None
    if choice.channel is None or choice.channel not in candidates.channels:
        return Rejection(
            FallbackReason.GUARDRAIL_REJECTED,
            f"channel {choice.channel} is not allowed and consented for this customer",
        )
    limits = playbook.limits
    if len(choice.product_ids) > limits.max_products:
        return Rejection(invalid, f"{len(choice.product_ids)} products, limit {limits.max_products}")
    if len(choice.product_ids) < limits.min_products:
        return Rejection(invalid, "too few products for this playbook")
    if playbook.action is ActionKind.OFFER and choice.offer_id is None:
        return Rejection(invalid, "an offer action needs an offer_id")
    if playbook.transactional and choice.offer_id is not None:
        return Rejection(FallbackReason.GUARDRAIL_REJECTED, "transactional messages cannot carry offers")
    if playbook.action is ActionKind.MESSAGE and choice.message is None:
        return Rejection(invalid, "a message action needs message copy")
    return None


def validate_choice(
    raw: dict[str, Any] | None, *, playbook: Playbook, candidates: CandidateSet, now: datetime
) -> ActionProposal | Rejection:
    """Turn a raw model answer into a proposal, or a Rejection naming what is wrong."""
    choice = _parse(raw)
    if isinstance(choice, Rejection):
        return choice
    problem = _check_ids(choice, candidates) or _check_shape(choice, playbook, candidates)
    if problem is not None:
        return problem
    if choice.action is ActionKind.NONE:
        return ActionProposal(
            action=ActionKind.NONE,
            use_case=playbook.id,
            score=choice.score,
            reasons=choice.reasons or ["the model chose to hold back"],
        )
    offer = candidates.offer(choice.offer_id) if choice.offer_id else None
    if choice.message is not None:
        copy_problem = check_copy(
            choice.message,
            discount=offer.discount_percent if offer else None,
            title_max=playbook.limits.title_max_chars,
            body_max=playbook.limits.body_max_chars,
        )
        if copy_problem:
            return Rejection(FallbackReason.INVALID_OUTPUT, copy_problem)
    timing = playbook.timing
    placement = choice.placement if choice.placement in candidates.placements else None
    products = []
    for pid in choice.product_ids:
        item = candidates.product(pid)
        if item is not None:
            size = (
                item.preferred_size
                if item.preferred_size in item.sizes_in_stock
                else (item.sizes_in_stock[0] if item.sizes_in_stock else None)
            )
            products.append(ProposedProduct(product_id=pid, size=size, store_id=item.store_id, reason=item.source))
    return ActionProposal(
        action=choice.action,
        use_case=playbook.id,
        channel=choice.channel,
        placement=placement or (candidates.placements[0] if candidates.placements else None),
        products=products,
        offer_id=choice.offer_id,
        message=choice.message,
        transactional=playbook.transactional,
        send_at=now + timedelta(seconds=timing.send_delay_seconds),
        expires_at=now + timedelta(minutes=timing.expires_in_minutes) if timing.expires_in_minutes else None,
        score=choice.score,
        reasons=[neutralise(reason) for reason in choice.reasons] or [playbook.objective],
    )
