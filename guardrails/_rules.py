"""The shapes guardrail rules share: a pre-model pruning, a post-model outcome, and verdict helpers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from nextbest.contracts import (
    ActionKind,
    ActionProposal,
    Channel,
    GuardrailStage,
    GuardrailVerdict,
    Offer,
    VerdictOutcome,
)

from .context import GuardrailInput

StockLookup = Callable[[str, str | None], int]


def verdict(name: str, outcome: VerdictOutcome, detail: str, stage: GuardrailStage) -> GuardrailVerdict:
    return GuardrailVerdict(name=name, verdict=outcome, detail=detail, stage=stage)


def passed(name: str, detail: str, stage: GuardrailStage = GuardrailStage.POST) -> GuardrailVerdict:
    return verdict(name, VerdictOutcome.PASS, detail, stage)


def blocked(name: str, detail: str, stage: GuardrailStage = GuardrailStage.POST) -> GuardrailVerdict:
    return verdict(name, VerdictOutcome.BLOCK, detail, stage)


def adjusted(name: str, detail: str, stage: GuardrailStage = GuardrailStage.POST) -> GuardrailVerdict:
    return verdict(name, VerdictOutcome.ADJUST, detail, stage)


@dataclass(frozen=True)
class PrePrune:
    """What one rule takes off the table before anyone decides."""

    verdict: GuardrailVerdict
    remove_channels: frozenset[Channel] = frozenset()
    block_offers: frozenset[str] = frozenset()
    block_use_cases: frozenset[str] = frozenset()
    no_promotions: bool = False
    hold_back: str | None = None
    channel_reasons: Mapping[Channel, str] = field(default_factory=dict)
    """Why each removed channel was removed, when the rule can say it per channel (else the verdict's detail)."""

    def why_removed(self, channel: Channel) -> str:
        return self.channel_reasons.get(channel) or self.verdict.detail


@dataclass(frozen=True)
class PostContext:
    inp: GuardrailInput
    stock: StockLookup
    offers: Mapping[str, Offer]

    def send_time(self, proposal: ActionProposal) -> datetime:
        """When the proposal reaches the customer: its send_at, else now."""
        return proposal.send_at or self.inp.now


@dataclass(frozen=True)
class Outcome:
    """One rule's verdicts on a proposal, and the proposal as the rule leaves it (adjusted or not)."""

    verdicts: tuple[GuardrailVerdict, ...]
    proposal: ActionProposal


def single(result: GuardrailVerdict, proposal: ActionProposal) -> Outcome:
    return Outcome((result,), proposal)


PROMOTIONAL_CHANNELS = frozenset({Channel.EMAIL, Channel.SMS, Channel.PUSH, Channel.ADS})


def is_promotion(proposal: ActionProposal) -> bool:
    """An offer, an ad, or marketing that interrupts the customer: what an open support ticket rules out."""
    if proposal.transactional or proposal.action is ActionKind.NONE:
        return False
    promotional = proposal.channel is not None and proposal.channel in PROMOTIONAL_CHANNELS
    return proposal.offer_id is not None or proposal.action is ActionKind.OFFER or promotional


def is_outbound_marketing(proposal: ActionProposal) -> bool:
    return (
        proposal.action is not ActionKind.NONE
        and not proposal.transactional
        and proposal.channel is not None
        and proposal.channel.outbound
    )


PreRule = Callable[[GuardrailInput, Mapping[str, Offer]], PrePrune]
PostRule = Callable[[ActionProposal, PostContext], Outcome]
