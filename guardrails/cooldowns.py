"""Cooldowns that depend on what the customer did: a bought cart, and having converted at all.

(The per-channel gap between two messages is a cap in disguise and lives with the caps, so the ledger
enforces it atomically.)
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from nextbest.contracts import ActionKind, ActionProposal, GuardrailStage, KnownEventType, Offer

from ._rules import Outcome, PostContext, PrePrune, adjusted, blocked, passed, single
from .context import GuardrailInput

__all__ = ["CART", "CONVERTED", "cart_after", "cart_before", "cart_bought", "converted_after", "converted_before"]

CART = "cart_purchased"
CONVERTED = "converted_suppression"
_PRE = GuardrailStage.PRE


def cart_bought(inp: GuardrailInput, cart_id: str | None, products: frozenset[str]) -> str | None:
    """Why the cart counts as bought (same cart_id, or every item bought within the look-back), else None."""
    event = inp.request.event
    if event.type == KnownEventType.PURCHASE:
        return "the triggering event is the purchase itself"
    since = inp.now - timedelta(hours=inp.policy.cooldowns.cart.purchase_lookback_hours)
    profile = inp.request.profile
    purchases = [p for p in profile.purchase_history if p.occurred_at >= since] if profile is not None else []
    for purchase in purchases:
        if cart_id is not None and purchase.cart_id == cart_id:
            return f"cart {cart_id} was bought in order {purchase.order_id}"
    bought = {product for purchase in purchases for product in purchase.product_ids}
    if profile is not None:
        bought |= {
            recent.product_id
            for recent in profile.recent_events
            if recent.type == KnownEventType.PURCHASE and recent.product_id and recent.occurred_at >= since
        }
    if products and products <= bought:
        return f"every item of the cart ({', '.join(sorted(products))}) was bought since {since:%Y-%m-%d}"
    return None


def _event_cart(inp: GuardrailInput) -> tuple[str | None, frozenset[str]]:
    properties = inp.request.event.properties
    return properties.cart_id, frozenset(item.product_id for item in properties.cart)


def cart_before(inp: GuardrailInput, offers: Mapping[str, Offer]) -> PrePrune:
    del offers
    cart_id, products = _event_cart(inp)
    if cart_id is None and not products:
        return PrePrune(passed(CART, "no cart in the event", _PRE))
    reason = cart_bought(inp, cart_id, products)
    if reason is None:
        return PrePrune(passed(CART, "cart not bought yet", _PRE))
    use_cases = frozenset(inp.policy.cooldowns.cart.use_cases)
    return PrePrune(adjusted(CART, f"no cart recovery: {reason}", _PRE), block_use_cases=use_cases)


def cart_after(proposal: ActionProposal, ctx: PostContext) -> Outcome:
    if proposal.action is ActionKind.NONE or proposal.use_case not in ctx.inp.policy.cooldowns.cart.use_cases:
        return single(passed(CART, "not a cart recovery"), proposal)
    cart_id, products = _event_cart(ctx.inp)
    if not products:
        products = frozenset(product.product_id for product in proposal.products)
    reason = cart_bought(ctx.inp, cart_id, products)
    if reason is not None:
        return single(blocked(CART, f"no cart recovery: {reason}"), proposal)
    return single(passed(CART, "cart not bought yet"), proposal)


def converted_before(inp: GuardrailInput, offers: Mapping[str, Offer]) -> PrePrune:
    rules = inp.policy.cooldowns.converted
    if not inp.converted:
        return PrePrune(passed(CONVERTED, "not converted yet", _PRE))
    channels = frozenset(rules.suppress_channels)
    acquisition = frozenset(
        offer_id for offer_id, offer in offers.items() if offer.acquisition and rules.suppress_acquisition_offers
    )
    if not channels and not acquisition:
        return PrePrune(passed(CONVERTED, "converted; nothing to suppress", _PRE))
    parts = [f"channels {', '.join(sorted(channels))}" if channels else "", f"{len(acquisition)} acquisition offer(s)"]
    detail = "converted customer: suppressed " + " and ".join(part for part in parts if part)
    return PrePrune(adjusted(CONVERTED, detail, _PRE), remove_channels=channels, block_offers=acquisition)


def converted_after(proposal: ActionProposal, ctx: PostContext) -> Outcome:
    rules = ctx.inp.policy.cooldowns.converted
    if proposal.action is ActionKind.NONE or not ctx.inp.converted:
        return single(passed(CONVERTED, "not converted yet" if not ctx.inp.converted else "no action"), proposal)
    if proposal.channel is not None and proposal.channel in rules.suppress_channels:
        return single(blocked(CONVERTED, f"converted customer: no {proposal.channel.value}"), proposal)
    offer = ctx.offers.get(proposal.offer_id) if proposal.offer_id is not None else None
    if offer is not None and offer.acquisition and rules.suppress_acquisition_offers:
        return single(blocked(CONVERTED, f"converted customer: no acquisition offer {offer.offer_id}"), proposal)
    return single(passed(CONVERTED, "converted, but neither an acquisition offer nor a suppressed channel"), proposal)
