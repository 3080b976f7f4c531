"""Offer eligibility: which offers one customer may get right now, and a precise reason for each refusal.

OfferChecker(offers, products=None)   .check(...) -> one OfferCheck per offer
                                      .with_offers(book) -> the same checker over another offer book

The checker runs while candidates are gathered, with the decision's facts and the guardrails' permissions;
the model sees its answer as the candidate set's offers, so there is no model-facing offer tool.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from types import MappingProxyType

from nextbest.contracts import Channel, Event, Offer, OfferCheck, Product, Profile

from ._offer_rules import RULES, Situation, applies_to, context_ids, is_product_specific

__all__ = ["OfferChecker", "context_ids", "effective_discount"]

_NONE_REDEEMED: Mapping[str, int] = MappingProxyType({})


def effective_discount(offer: Offer, cart: float) -> float:
    """The percentage of this cart actually granted, once `max_discount_amount` caps it.

    A money-off offer is worth its amount's share of the cart; with no cart (a geo moment) its share is
    unknown and counts as 0, so it ranks below any percentage offer. Copy says the amount, never this share."""
    percent = offer.discount_percent
    if offer.money_off_amount is not None:
        percent = min(100.0, offer.money_off_amount / cart * 100) if cart > 0 else 0.0
    if offer.max_discount_amount is not None and cart > 0:
        percent = min(percent, offer.max_discount_amount / cart * 100)
    return round(percent, 2)


def _by_variant(products: Mapping[str, Product]) -> Mapping[str, Product]:
    return {variant.variant_id: product for product in products.values() for variant in product.variants}


class OfferChecker:
    """Checks every rule of every offer; `products` lets it see the products of carts, views and orders
    (by group or variant id) with their categories, product types and brands."""

    def __init__(
        self,
        offers: Mapping[str, Offer],
        *,
        products: Mapping[str, Product] | None = None,
        variants: Mapping[str, Product] | None = None,
    ) -> None:
        self._offers = offers
        self._products: Mapping[str, Product] = products or {}
        self._variants = _by_variant(self._products) if variants is None else variants

    def with_offers(self, offers: Mapping[str, Offer]) -> OfferChecker:
        """A checker over another offer book (the policy's), sharing this one's product lookups."""
        return OfferChecker(offers, products=self._products, variants=self._variants)

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
        select: Callable[[Offer], bool] | None = None,
        categories: Sequence[str] | None = None,
        promoted: Sequence[str] = (),
    ) -> list[OfferCheck]:
        """One check per offer (only those `select` accepts, when given), in offer-book order.

        `categories` adds the categories the caller means to promote to those seen in the event, and
        `promoted` the products (a geo push's items in stock nearby) to the products the event names.
        """
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        ids = [*context_ids(event), *promoted]
        products = self._resolve(ids)
        situation = Situation(
            profile=profile,
            event=event,
            channel=channel,
            cart_value=cart_value,
            now=now,
            redemptions=redemptions,
            store_nearby=store_nearby,
            categories=frozenset(self._categories(event, products)) | frozenset(categories or ()),
            products=tuple(products.values()),
            product_ids=frozenset(ids) | frozenset(product.product_id for product in products.values()),
        )
        return [self._check(offer, situation) for offer in self._offers.values() if select is None or select(offer)]

    def applies_to(self, offer_id: str, product_id: str) -> bool:
        """Whether a product-specific offer of this book covers the product (False for an offer open to all)."""
        offer, product = self._offers.get(offer_id), self._products.get(product_id)
        return offer is not None and product is not None and is_product_specific(offer) and applies_to(offer, product)

    def _check(self, offer: Offer, situation: Situation) -> OfferCheck:
        reasons = [reason for rule in RULES if (reason := rule(offer, situation)) is not None]
        if reasons:
            return OfferCheck(offer_id=offer.offer_id, eligible=False, reason="; ".join(reasons))
        percent = effective_discount(offer, situation.cart_value)
        return OfferCheck(offer_id=offer.offer_id, eligible=True, discount_percent=percent)

    def _resolve(self, ids: Sequence[str]) -> dict[str, Product]:
        """The product group of each id in context, whether it names the group or one of its variants."""
        found: dict[str, Product] = {}
        for pid in ids:
            product = self._products.get(pid) or self._variants.get(pid)
            if product is not None:
                found.setdefault(product.product_id, product)
        return found

    @staticmethod
    def _categories(event: Event, products: Mapping[str, Product]) -> set[str]:
        found = {product.category for product in products.values()}
        if event.properties.category:
            found.add(event.properties.category)
        return found
