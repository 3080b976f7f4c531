"""The two guardrail passes the pipeline calls: `check_before` the decider runs, `check_after` it proposes.

Both only return typed verdicts; what a block means (decide `none`, fall back to the rules) is the
pipeline's call. Every rule evaluated leaves a verdict, passes included, so a reviewer can see why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from nextbest.contracts import ActionKind, ActionProposal, Channel, GuardrailVerdict, Offer, VerdictOutcome

from ._rules import Outcome, PostContext, PostRule, PrePrune, PreRule, StockLookup, blocked, passed, single
from .business import offer_after, offer_before, stock_after
from .consent import channel_consented, consent_after, consent_before
from .context import GuardrailInput
from .cooldowns import cart_after, cart_before, converted_after, converted_before
from .frequency import caps_after, caps_before, offer_caps_before
from .quiet_hours import quiet_after, quiet_before
from .restraint import (
    HOLDOUT,
    fatigue_after,
    fatigue_before,
    holdout_after,
    holdout_before,
    score_after,
    support_after,
    support_before,
)

__all__ = ["CALLER", "PostCheck", "PreCheck", "check_after", "check_before"]

CALLER = "caller_channels"

_PRE_RULES: tuple[PreRule, ...] = (
    holdout_before,
    consent_before,
    support_before,
    fatigue_before,
    converted_before,
    cart_before,
    caps_before,
    offer_caps_before,
    offer_before,
    quiet_before,
)


def _caller_after(proposal: ActionProposal, ctx: PostContext) -> Outcome:
    channel = proposal.channel
    if proposal.action is ActionKind.NONE or channel is None or channel in ctx.inp.caller_channels:
        return single(passed(CALLER, "channel deliverable by the caller"), proposal)
    return single(blocked(CALLER, f"the caller cannot deliver on {channel.value}"), proposal)


# Order matters only for adjustments: quiet hours may move the channel or the send time, and the caps
# must then judge the message as it will really go out.
_POST_RULES: tuple[PostRule, ...] = (
    holdout_after,
    _caller_after,
    consent_after,
    score_after,
    support_after,
    fatigue_after,
    converted_after,
    cart_after,
    offer_after,
    stock_after,
    quiet_after,
    caps_after,
)


def _named(verdicts: list[GuardrailVerdict], name: str) -> GuardrailVerdict:
    for verdict in verdicts:
        if verdict.name == name:
            return verdict
    raise KeyError(f"no verdict named {name!r}")


@dataclass(frozen=True)
class PreCheck:
    """What is left open before anyone decides.

    `allowed_channels` is for marketing; a transactional playbook may use `transactional_channels`
    (caller and consent only). `hold_back` is a reason to decide `none` for marketing without asking anyone.
    """

    allowed_channels: list[Channel]
    transactional_channels: list[Channel]
    blocked_offer_ids: frozenset[str]
    blocked_use_cases: frozenset[str]
    promotions_allowed: bool
    hold_back: str | None
    verdicts: list[GuardrailVerdict] = field(default_factory=list)
    closed_channels: dict[Channel, str] = field(default_factory=dict)
    """Each channel the rules removed, with why (the first rule that removed it)."""

    def verdict(self, name: str) -> GuardrailVerdict:
        """The verdict of one rule, by name; KeyError if that rule did not run."""
        return _named(self.verdicts, name)


@dataclass(frozen=True)
class PostCheck:
    """The proposal as the guardrails leave it: adjusted, or turned into `none` when any rule blocked.

    `would_have` is, for a holdout subject, what every other rule would have let through: log it with the
    decision so lift can be measured.
    """

    proposal: ActionProposal
    verdicts: list[GuardrailVerdict]
    blocked_by: list[str]
    would_have: ActionProposal | None = None

    def verdict(self, name: str) -> GuardrailVerdict:
        """The verdict of one rule, by name; KeyError if that rule did not run."""
        return _named(self.verdicts, name)

    @property
    def blocked(self) -> bool:
        return bool(self.blocked_by)

    @property
    def withheld_for_holdout(self) -> bool:
        """Blocked by the holdout alone: not a bad proposal, so no reason to fall back to the rules."""
        return self.blocked_by == [HOLDOUT]


def check_before(inp: GuardrailInput, *, offers: Mapping[str, Offer] | None = None) -> PreCheck:
    """Prune channels, offers and use cases before the decider runs; hold back when nothing is left."""
    offers = offers or {}
    prunes = [rule(inp, offers) for rule in _PRE_RULES]
    removed = {channel for prune in prunes for channel in prune.remove_channels}
    allowed = [channel for channel in inp.caller_channels if channel not in removed]
    hold_back = next((prune.hold_back for prune in prunes if prune.hold_back is not None), None)
    verdicts = [prune.verdict for prune in prunes]
    if hold_back is None and not allowed:
        # Together the rules that removed the caller's channels block the action: say so, not "adjust".
        callers = set(inp.caller_channels)
        closing = [index for index, prune in enumerate(prunes) if callers & set(prune.remove_channels)]
        for index in closing:
            verdicts[index] = verdicts[index].model_copy(update={"verdict": VerdictOutcome.BLOCK})
        hold_back = "no channel left: " + "; ".join(prunes[index].verdict.detail for index in closing)
    return PreCheck(
        allowed_channels=allowed,
        transactional_channels=[c for c in inp.caller_channels if channel_consented(inp, c)],
        blocked_offer_ids=frozenset(offer_id for prune in prunes for offer_id in prune.block_offers),
        blocked_use_cases=frozenset(use_case for prune in prunes for use_case in prune.block_use_cases),
        promotions_allowed=not any(prune.no_promotions for prune in prunes),
        hold_back=hold_back,
        verdicts=verdicts,
        closed_channels=_closed(prunes),
    )


def _closed(prunes: list[PrePrune]) -> dict[Channel, str]:
    closed: dict[Channel, str] = {}
    for prune in prunes:
        for channel in sorted(prune.remove_channels):
            closed.setdefault(channel, prune.why_removed(channel))
    return closed


def _held_back(proposal: ActionProposal, blocks: list[GuardrailVerdict]) -> ActionProposal:
    return ActionProposal(
        action=ActionKind.NONE,
        use_case=proposal.use_case,
        reasons=[f"{verdict.name}: {verdict.detail}"[:300] for verdict in blocks][:20],
    )


def check_after(
    proposal: ActionProposal, inp: GuardrailInput, *, stock: StockLookup, offers: Mapping[str, Offer]
) -> PostCheck:
    """Judge a proposal with every rule; adjustments carry forward, any block turns it into `none`.

    `stock(product_id, size)` returns units available; `offers` maps offer ids to the offer catalogue.
    """
    ctx = PostContext(inp, stock, offers)
    verdicts: list[GuardrailVerdict] = []
    current = proposal
    for rule in _POST_RULES:
        outcome = rule(current, ctx)
        verdicts.extend(outcome.verdicts)
        current = outcome.proposal
    blocks = [verdict for verdict in verdicts if verdict.verdict is VerdictOutcome.BLOCK]
    blocked_by = list(dict.fromkeys(verdict.name for verdict in blocks))
    would_have = None
    if inp.holdout:
        others = [verdict for verdict in blocks if verdict.name != HOLDOUT]
        would_have = _held_back(proposal, others) if others else current
    final = _held_back(proposal, blocks) if blocks else current
    return PostCheck(proposal=final, verdicts=verdicts, blocked_by=blocked_by, would_have=would_have)
