"""Consent: outbound channels and ads need an explicit opt-in; global opt-out stops everything.

On-site content (web, app) is shown to someone already on our site or app, so it needs no opt-in unless
the customer opted out globally. Transactional messages are never exempt from consent.
"""

from __future__ import annotations

from collections.abc import Mapping

from nextbest.contracts import ActionKind, ActionProposal, Channel, GuardrailStage, Offer

from ._rules import Outcome, PostContext, PrePrune, adjusted, blocked, passed, single
from .context import GuardrailInput

__all__ = ["NAME", "channel_consented", "consent_after", "consent_before"]

NAME = "consent"
_PRE = GuardrailStage.PRE


def channel_consented(inp: GuardrailInput, channel: Channel) -> bool:
    consent = inp.consent
    if consent.global_opt_out:
        return False
    return channel in inp.policy.consent.no_consent_needed or consent.allows(channel)


def consent_before(inp: GuardrailInput, offers: Mapping[str, Offer]) -> PrePrune:
    del offers
    if inp.consent.global_opt_out:
        return PrePrune(
            blocked(NAME, "global opt-out: nothing on any channel", _PRE),
            remove_channels=frozenset(Channel),
            hold_back="global_opt_out",
        )
    missing = [channel for channel in inp.caller_channels if not channel_consented(inp, channel)]
    if not missing:
        return PrePrune(passed(NAME, "consent on every requested channel", _PRE))
    names = ", ".join(channel.value for channel in missing)
    return PrePrune(
        adjusted(NAME, f"no consent for {names}", _PRE),
        remove_channels=frozenset(missing),
        channel_reasons={channel: f"no consent for {channel.value}" for channel in missing},
    )


def consent_after(proposal: ActionProposal, ctx: PostContext) -> Outcome:
    if proposal.action is ActionKind.NONE:
        return single(passed(NAME, "no action"), proposal)
    if ctx.inp.consent.global_opt_out:
        return single(blocked(NAME, "global opt-out: nothing on any channel"), proposal)
    channel = proposal.channel
    if channel is None:
        return single(passed(NAME, "on-site content needs no consent"), proposal)
    if not channel_consented(ctx.inp, channel):
        kind = "transactional " if proposal.transactional else ""
        return single(blocked(NAME, f"no consent for {kind}{channel.value}"), proposal)
    return single(passed(NAME, f"{channel.value} consented"), proposal)
