"""Offer eligibility: which offers one customer may get right now, and a precise reason for each refusal.

OfferChecker(offers, products=None)   .check(...) -> one OfferCheck per offer

The checker runs while candidates are gathered, with the decision's facts and the guardrails' permissions;
the model sees its answer as the candidate set's offers, so there is no model-facing offer tool.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from types import MappingProxyType

from nextbest.contracts import Channel, Event, Offer, OfferCheck, Product, Profile

from ._offer_rules import RULES, Situation

__all__ = ["OfferChecker", "effective_discount"]

_NONE_REDEEMED: Mapping[str, int] = MappingProxyType({})


def effective_discount(offer: Offer, cart: float) -> float:
    """The percentage actually granted once `max_discount_amount` caps it on this cart."""
    percent = offer.discount_percent
    if offer.max_discount_amount is not None and cart > 0:
        percent = min(percent, offer.max_discount_amount / cart * 100)
    return round(percent, 2)


class OfferChecker:
    """Checks every rule of every offer; `products` lets it see the categories of carts and orders."""

    def __init__(self, offers: Mapping[str, Offer], *, products: Mapping[str, Product] | None = None) -> None:
        self._offers = offers
        self._products: Mapping[str, Product] = products or {}

    @property
    def offers(self) -> Mapping[str, Offer]:
        return self._offers

    def check(
        self,
        *,
        profile: Profile | None,
        event: Event,
        channel: Channel | None,
        cart_value: float,
        now: datetime,
        redemptions: Mapping[str, int] = _NONE_REDEEMED,
        store_nearby: bool = False,
        pools: Sequence[str] | None = None,
        categories: Sequence[str] | None = None,
    ) -> list[OfferCheck]:
        """One check per offer (only `pools`' when given), in offer-book order.

        `categories` adds the categories the caller means to promote to those seen in the event.
        """
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        situation = Situation(
            profile=profile,
            event=event,
            channel=channel,
            cart_value=cart_value,
            now=now,
            redemptions=redemptions,
            store_nearby=store_nearby,
            categories=frozenset(self._categories(event)) | frozenset(categories or ()),
        )
        return [
            self._check(offer, situation) for offer in self._offers.values() if pools is None or offer.pool in pools
        ]

    def _check(self, offer: Offer, situation: Situation) -> OfferCheck:
        reasons = [reason for rule in RULES if (reason := rule(offer, situation)) is not None]
        if reasons:
            return OfferCheck(offer_id=offer.offer_id, eligible=False, reason="; ".join(reasons))
        percent = effective_discount(offer, situation.cart_value)
        return OfferCheck(offer_id=offer.offer_id, eligible=True, discount_percent=percent)

    def _categories(self, event: Event) -> set[str]:
        properties = event.properties
        ids = [properties.product_id, *(item.product_id for item in properties.cart)]
        if properties.order is not None:
            ids.extend(item.product_id for item in properties.order.items)
        found = {self._products[pid].category for pid in ids if pid is not None and pid in self._products}
        if properties.category:
            found.add(properties.category)
        return found
