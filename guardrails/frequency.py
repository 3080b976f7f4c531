"""Frequency caps and channel gaps as verdicts, judged against the history read before deciding.

These verdicts explain; the ledger's `commit` enforces the same `CapCheck`s atomically, because two
workers can both read a history with room for exactly one more message.
"""

from __future__ import annotations

from collections.abc import Mapping

from nextbest.contracts import ActionKind, ActionProposal, GuardrailStage, GuardrailVerdict, Offer

from ._rules import Outcome, PostContext, PrePrune, adjusted, blocked, passed
from .caps import CapKind, cap_checks, find_breaches, offer_cap_check, offer_limit
from .contacts import Contact, proposed_contact
from .context import GuardrailInput

__all__ = ["FREQUENCY", "caps_after", "caps_before", "offer_caps_before"]

FREQUENCY = "frequency_caps"
_PRE = GuardrailStage.PRE


def caps_before(inp: GuardrailInput, offers: Mapping[str, Offer]) -> PrePrune:
    """Drop every channel whose caps, gap or the global contact pressure leave no room right now."""
    del offers
    full = {}
    for channel in inp.caller_channels:
        probe = Contact(decision_id="(probe)", channel=channel, at=inp.now)
        breaches = find_breaches(cap_checks(inp.policy, probe, timezone=inp.tz), inp.history.contacts)
        if breaches:
            full[channel] = breaches[0].describe(inp.tz)
    if not full:
        return PrePrune(passed(FREQUENCY, "room left on every requested channel", _PRE))
    detail = "; ".join(full.values())
    return PrePrune(adjusted(FREQUENCY, detail, _PRE), remove_channels=frozenset(full), channel_reasons=full)


def offer_caps_before(inp: GuardrailInput, offers: Mapping[str, Offer]) -> PrePrune:
    """Block every offer this customer already received as often as its cap allows."""
    received = {contact.offer_id for contact in inp.history.contacts if contact.offer_id is not None and contact.counts}
    # Only an offer this customer already received, or one capped at zero, can be full: skipping the rest
    # keeps this check proportional to the history instead of the whole offer catalogue.
    candidates = received | {offer_id for offer_id in offers if offer_limit(inp.policy, offer_id, offers) == 0}
    reasons = {}
    for offer_id in sorted(candidates):
        check = offer_cap_check(inp.policy, offer_id, inp.now, timezone=inp.tz, offers=offers)
        breaches = find_breaches([check], inp.history.contacts)
        if breaches:
            reasons[offer_id] = breaches[0].describe(inp.tz)
    name = CapKind.OFFER.value
    if not reasons:
        return PrePrune(passed(name, f"room left on {len(offers)} offer(s)", _PRE))
    return PrePrune(adjusted(name, "; ".join(reasons.values()), _PRE), block_offers=frozenset(reasons))


def _all_pass(detail: str) -> tuple[GuardrailVerdict, ...]:
    return tuple(passed(kind.value, detail) for kind in CapKind)


def caps_after(proposal: ActionProposal, ctx: PostContext) -> Outcome:
    """One verdict per kind of cap: channel caps, channel gap, contact pressure, offer cap."""
    if proposal.action is ActionKind.NONE:
        return Outcome(_all_pass("no action"), proposal)
    contact = proposed_contact(proposal, now=ctx.inp.now)
    if contact is None:
        return Outcome(_all_pass("not a contact: on-site content without an offer"), proposal)
    if contact.transactional:
        return Outcome(_all_pass("transactional: exempt from caps"), proposal)
    tz = ctx.inp.tz
    checks = cap_checks(ctx.inp.policy, contact, timezone=tz, offers=ctx.offers)
    breaches = find_breaches(checks, ctx.inp.history.contacts)
    verdicts = []
    for kind in CapKind:
        broken = [breach.describe(tz) for breach in breaches if breach.check.kind is kind]
        names = [check.name for check in checks if check.kind is kind]
        if broken:
            verdicts.append(blocked(kind.value, "; ".join(broken)))
        else:
            verdicts.append(passed(kind.value, f"within {', '.join(names)}" if names else "no cap applies"))
    return Outcome(tuple(verdicts), proposal)
