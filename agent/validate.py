"""Check the model's answer against the candidates and the playbook. The model advises; code decides.

A wrong answer is a policy outcome, not a fault: `validate_choice` returns a typed `Rejection` (what kind of
wrong, and the FallbackReason the decision carries if it stands); the graph decides whether a repair turn
is worth it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from nextbest.contracts import (
    ActionKind,
    ActionProposal,
    CandidateSet,
    FallbackReason,
    ModelChoice,
    ProposedProduct,
)
from nextbest.policy import Playbook

from .copy_check import CopyRules, check_copy, known_tokens
from .prompt import neutralise

__all__ = ["Rejection", "RejectionKind", "check_copy", "normalise_score", "validate_choice"]

_PERCENT_SCALE_MAX = 100


class RejectionKind(StrEnum):
    """What exactly was wrong with an answer (the FallbackReason is coarser)."""

    UNPARSEABLE = "unparseable"
    SCHEMA = "schema"
    OUT_OF_RANGE = "out_of_range"
    HALLUCINATED_ID = "hallucinated_id"
    ACTION = "action"
    CHANNEL = "channel"
    SHAPE = "shape"
    COPY = "copy"


@dataclass(frozen=True)
class Rejection:
    """Why an answer cannot be used: its kind, the fallback reason the decision carries if it stands, and
    the detail the repair turn shows the model."""

    kind: RejectionKind
    detail: str
    reason: FallbackReason = FallbackReason.INVALID_OUTPUT

    def __str__(self) -> str:
        return f"{self.reason.value}: {self.detail}"


HALLUCINATED = FallbackReason.HALLUCINATED_ID


def normalise_score(raw: dict[str, Any], adjustments: list[str]) -> dict[str, Any]:
    """`raw` with an out-of-range score made usable, each change noted in `adjustments`.

    Small models answer on a 0..100 scale ("score": 20): any score in (1, 100] is read as a percentage.
    A restraint answer (action "none") is never rejected for its score: anything else is clamped to 0..1.
    """
    score = raw.get("score")
    if isinstance(score, bool) or not isinstance(score, int | float) or 0 <= score <= 1:
        return raw
    if 1 < score <= _PERCENT_SCALE_MAX:
        fixed = score / _PERCENT_SCALE_MAX
        adjustments.append(f"score {score:g} read on a 0..100 scale as {fixed:g}")
    elif raw.get("action") == ActionKind.NONE.value:
        fixed = min(max(float(score), 0.0), 1.0)
        adjustments.append(f"score {score:g} of a restraint answer clamped to {fixed:g}")
    else:
        return raw
    return {**raw, "score": fixed}


# pydantic's error types for a value outside its bounds (numbers, lengths of strings and lists).
_RANGE_ERRORS = frozenset(
    {"greater_than", "greater_than_equal", "less_than", "less_than_equal", "string_too_long", "too_long"}
)


def _parse(raw: dict[str, Any] | None, adjustments: list[str]) -> ModelChoice | Rejection:
    if raw is None:
        return Rejection(RejectionKind.SCHEMA, "no final answer")
    try:
        return ModelChoice.model_validate(normalise_score(raw, adjustments))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        kind = RejectionKind.OUT_OF_RANGE if first["type"] in _RANGE_ERRORS else RejectionKind.SCHEMA
        return Rejection(kind, f"{where}: {first['msg']}")


def _check_ids(choice: ModelChoice, candidates: CandidateSet) -> Rejection | None:
    unknown = [pid for pid in choice.product_ids if candidates.product(pid) is None]
    if unknown:
        return Rejection(RejectionKind.HALLUCINATED_ID, f"products not among the candidates: {unknown}", HALLUCINATED)
    if choice.offer_id is not None and candidates.offer(choice.offer_id) is None:
        return Rejection(RejectionKind.HALLUCINATED_ID, f"offer {choice.offer_id!r} is not eligible", HALLUCINATED)
    return None


def _check_shape(choice: ModelChoice, playbook: Playbook, candidates: CandidateSet) -> Rejection | None:
    if choice.action not in (playbook.action, ActionKind.NONE):
        return Rejection(
            RejectionKind.ACTION,
            f"action {choice.action.value!r} is not allowed by playbook {playbook.id} "
            f"(expected {playbook.action.value!r} or 'none')",
        )
    if choice.action is ActionKind.NONE:
        return None
    if choice.channel is None or choice.channel not in candidates.channels:
        message = f"channel {choice.channel} is not allowed and consented for this customer"
        return Rejection(RejectionKind.CHANNEL, message, FallbackReason.GUARDRAIL_REJECTED)
    return _check_limits(choice, playbook)


def _check_limits(choice: ModelChoice, playbook: Playbook) -> Rejection | None:
    limits, shape = playbook.limits, RejectionKind.SHAPE
    if len(choice.product_ids) > limits.max_products:
        return Rejection(shape, f"{len(choice.product_ids)} products, limit {limits.max_products}")
    if len(choice.product_ids) < limits.min_products:
        return Rejection(shape, "too few products for this playbook")
    if playbook.action is ActionKind.OFFER and choice.offer_id is None:
        return Rejection(shape, "an offer action needs an offer_id")
    if playbook.transactional and choice.offer_id is not None:
        return Rejection(shape, "transactional messages cannot carry offers", FallbackReason.GUARDRAIL_REJECTED)
    if playbook.action is ActionKind.MESSAGE and choice.message is None:
        return Rejection(shape, "a message action needs message copy")
    return None


def validate_choice(
    raw: dict[str, Any] | None,
    *,
    playbook: Playbook,
    candidates: CandidateSet,
    now: datetime,
    adjustments: list[str] | None = None,
    instructions: Sequence[str] = (),
) -> ActionProposal | Rejection:
    """Turn a raw model answer into a proposal, or a Rejection naming what is wrong.

    What was corrected rather than rejected is appended to `adjustments`; `instructions` are the
    instruction-like sentences of the untrusted input (`copy_check.instruction_spans`), which copy must
    not repeat."""
    choice = _parse(raw, adjustments if adjustments is not None else [])
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
        rules = CopyRules(
            offer=offer,
            title_max=playbook.limits.title_max_chars,
            body_max=playbook.limits.body_max_chars,
            known_tokens=known_tokens(candidates),
            instructions=tuple(instructions),
        )
        copy_problem = check_copy(choice.message, rules)
        if copy_problem:
            return Rejection(RejectionKind.COPY, copy_problem)
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
