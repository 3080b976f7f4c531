"""Quiet hours: no outbound message inside the customer's local night; defer it, or show it on-site instead.

An offer whose validity ends before the quiet window does is dropped: deferring it would deliver a dead offer.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC

from nextbest.contracts import ActionKind, ActionProposal, Channel, GuardrailStage, Offer

from ._rules import Outcome, PostContext, PrePrune, adjusted, blocked, passed, single
from .consent import channel_consented
from .context import GuardrailInput
from .policy import QuietHours, QuietMode

__all__ = ["NAME", "quiet_after", "quiet_before"]

NAME = "quiet_hours"


def _window(quiet: QuietHours) -> str:
    return f"quiet hours {quiet.start:%H:%M}–{quiet.end:%H:%M} local"


def quiet_before(inp: GuardrailInput, offers: Mapping[str, Offer]) -> PrePrune:
    del offers
    quiet = inp.policy.quiet_hours
    local = inp.local(inp.now)
    if not quiet.contains(local):
        return PrePrune(passed(NAME, f"{local:%H:%M} local is outside quiet hours", GuardrailStage.PRE))
    then = "shown on-site or deferred" if quiet.mode is QuietMode.SWITCH else "deferred"
    detail = f"{_window(quiet)}: outbound messages will be {then} until {quiet.end_after(local):%H:%M}"
    return PrePrune(passed(NAME, detail, GuardrailStage.PRE))


def _switch_target(ctx: PostContext) -> Channel | None:
    for channel in ctx.inp.policy.quiet_hours.switch_to:
        if channel in ctx.inp.caller_channels and channel_consented(ctx.inp, channel):
            return channel
    return None


def _exempt_reason(proposal: ActionProposal, quiet: QuietHours) -> str | None:
    if proposal.action is ActionKind.NONE:
        return "no action"
    if proposal.channel is None or not proposal.channel.outbound:
        return "on-site content is not interruptive"
    if proposal.transactional and not quiet.apply_to_transactional:
        return "transactional message"
    return None


def quiet_after(proposal: ActionProposal, ctx: PostContext) -> Outcome:
    quiet = ctx.inp.policy.quiet_hours
    exempt = _exempt_reason(proposal, quiet)
    channel = proposal.channel
    if exempt is not None or channel is None:
        return single(passed(NAME, exempt or "no channel"), proposal)
    local = ctx.inp.local(ctx.send_time(proposal))
    if not quiet.contains(local):
        return single(passed(NAME, f"sends at {local:%H:%M} local, outside quiet hours"), proposal)
    target = _switch_target(ctx) if quiet.mode is QuietMode.SWITCH else None
    if target is not None:
        moved = proposal.model_copy(update={"channel": target, "send_at": None})
        detail = f"{_window(quiet)}: switched {channel.value} to {target.value}"
        return single(adjusted(NAME, detail), moved)
    end = quiet.end_after(local)
    if proposal.expires_at is not None and proposal.expires_at <= end:
        expires = ctx.inp.local(proposal.expires_at)
        detail = f"{_window(quiet)}: expires {expires:%H:%M} before they end at {end:%H:%M}; dropped"
        return single(blocked(NAME, detail), proposal)
    deferred = proposal.model_copy(update={"send_at": end.astimezone(UTC)})
    detail = f"{_window(quiet)}: deferred from {local:%H:%M} to {end:%Y-%m-%d %H:%M} local"
    return single(adjusted(NAME, detail), deferred)
