"""Restraint: sometimes the best action is none (holdout, low confidence, an open ticket, a tired customer)."""

from __future__ import annotations

from collections.abc import Mapping

from nextbest.contracts import OUTBOUND_CHANNELS, ActionKind, ActionProposal, GuardrailStage, Offer

from ._rules import (
    PROMOTIONAL_CHANNELS,
    Outcome,
    PostContext,
    PrePrune,
    adjusted,
    blocked,
    is_outbound_marketing,
    is_promotion,
    passed,
    single,
)
from .context import GuardrailInput

__all__ = [
    "FATIGUE",
    "HOLDOUT",
    "SCORE",
    "SUPPORT",
    "fatigue_after",
    "fatigue_before",
    "holdout_after",
    "holdout_before",
    "score_after",
    "support_after",
    "support_before",
]

HOLDOUT = "holdout"
SCORE = "min_score"
SUPPORT = "support_ticket"
FATIGUE = "fatigue"
_PRE = GuardrailStage.PRE


def holdout_before(inp: GuardrailInput, offers: Mapping[str, Offer]) -> PrePrune:
    del offers
    if inp.holdout:
        # No hold_back: the action is still decided, so what it would have been can be logged for lift.
        detail = "subject is in the holdout group: the action is decided for measurement, never sent"
        return PrePrune(blocked(HOLDOUT, detail, _PRE))
    return PrePrune(passed(HOLDOUT, "not in holdout", _PRE))


def holdout_after(proposal: ActionProposal, ctx: PostContext) -> Outcome:
    if ctx.inp.holdout and proposal.action is not ActionKind.NONE:
        return single(blocked(HOLDOUT, "subject is in the holdout group"), proposal)
    return single(passed(HOLDOUT, "not in holdout" if not ctx.inp.holdout else "no action"), proposal)


def score_after(proposal: ActionProposal, ctx: PostContext) -> Outcome:
    threshold = ctx.inp.policy.restraint.min_score
    if proposal.action is ActionKind.NONE or proposal.transactional:
        return single(passed(SCORE, "not scored: no action or transactional"), proposal)
    if proposal.score < threshold:
        return single(blocked(SCORE, f"score {proposal.score:.2f} below {threshold:.2f}: hold back"), proposal)
    return single(passed(SCORE, f"score {proposal.score:.2f} ≥ {threshold:.2f}"), proposal)


def _ticket_rule_applies(inp: GuardrailInput) -> bool:
    return inp.policy.restraint.no_promotions_with_open_ticket and inp.open_tickets > 0


def support_before(inp: GuardrailInput, offers: Mapping[str, Offer]) -> PrePrune:
    if not _ticket_rule_applies(inp):
        return PrePrune(passed(SUPPORT, "no open support ticket", _PRE))
    detail = f"{inp.open_tickets} open support ticket(s): no offers, ads or marketing messages"
    return PrePrune(
        adjusted(SUPPORT, detail, _PRE),
        remove_channels=PROMOTIONAL_CHANNELS,
        block_offers=frozenset(offers),
        no_promotions=True,
    )


def support_after(proposal: ActionProposal, ctx: PostContext) -> Outcome:
    if not _ticket_rule_applies(ctx.inp):
        return single(passed(SUPPORT, "no open support ticket"), proposal)
    if is_promotion(proposal):
        detail = f"{ctx.inp.open_tickets} open support ticket(s): no promotions"
        return single(blocked(SUPPORT, detail), proposal)
    return single(passed(SUPPORT, "open support ticket, but this is not a promotion"), proposal)


def _fatigued(inp: GuardrailInput) -> bool:
    limit = inp.policy.restraint.fatigue_ignored_in_a_row
    return limit > 0 and inp.history.ignored_streak >= limit


def _fatigue_detail(inp: GuardrailInput) -> str:
    return f"{inp.history.ignored_streak} outbound messages ignored in a row: no outbound marketing"


def fatigue_before(inp: GuardrailInput, offers: Mapping[str, Offer]) -> PrePrune:
    del offers
    if not _fatigued(inp):
        return PrePrune(passed(FATIGUE, f"{inp.history.ignored_streak} ignored in a row", _PRE))
    return PrePrune(adjusted(FATIGUE, _fatigue_detail(inp), _PRE), remove_channels=OUTBOUND_CHANNELS)


def fatigue_after(proposal: ActionProposal, ctx: PostContext) -> Outcome:
    if _fatigued(ctx.inp) and is_outbound_marketing(proposal):
        return single(blocked(FATIGUE, _fatigue_detail(ctx.inp)), proposal)
    return single(passed(FATIGUE, f"{ctx.inp.history.ignored_streak} ignored in a row"), proposal)
