"""Offer eligibility: which offers one customer may get right now, and a precise reason for each refusal.

OfferEligibility(offers, products=None)   .check(...) -> one OfferCheck per offer
CheckOffersTool(checker, context)          the model-facing `check_offers` tool, with a deadline
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, Protocol

from pydantic import AwareDatetime, Field

from nextbest.contracts import Channel, Contract, Event, Offer, OfferCheck, Product, Profile

from ._offer_rules import RULES, Situation
from .function_tool import check_timeout, function_spec, run_bounded

__all__ = [
    "CheckOffersTool",
    "OfferAnswer",
    "OfferChecker",
    "OfferContext",
    "OfferEligibility",
    "OfferOption",
    "OfferQuery",
    "cart_value",
    "effective_discount",
]

TOOL_NAME = "check_offers"
_NONE_REDEEMED: Mapping[str, int] = MappingProxyType({})


def cart_value(event: Event) -> float:
    """The money at stake in an event: its cart, else its order's total, else 0."""
    cart = event.properties.cart
    if cart:
        return round(sum((item.price or 0) * item.quantity for item in cart), 2)
    order = event.properties.order
    if order is not None:
        if order.total is not None:
            return order.total
        return round(sum((item.price or 0) * item.quantity for item in order.items), 2)
    return 0.0


def effective_discount(offer: Offer, cart: float) -> float:
    """The percentage actually granted once `max_discount_amount` caps it on this cart."""
    percent = offer.discount_percent
    if offer.max_discount_amount is not None and cart > 0:
        percent = min(percent, offer.max_discount_amount / cart * 100)
    return round(percent, 2)


class OfferEligibility:
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


class OfferChecker(Protocol):
    """What the tool needs; `OfferEligibility` satisfies it, and so can a test fake or a remote service."""

    @property
    def offers(self) -> Mapping[str, Offer]: ...

    def check(
        self,
        *,
        profile: Profile | None,
        event: Event,
        channel: Channel | None,
        cart_value: float,
        now: datetime,
        redemptions: Mapping[str, int] = ...,
        store_nearby: bool = ...,
        pools: Sequence[str] | None = ...,
        categories: Sequence[str] | None = ...,
    ) -> list[OfferCheck]: ...


@dataclass(frozen=True)
class OfferContext:
    """The facts of the decision the model may not change: who, what happened, when, what was redeemed."""

    profile: Profile | None
    event: Event
    now: datetime
    cart_value: float = 0.0
    redemptions: Mapping[str, int] = field(default_factory=dict)
    store_nearby: bool = False


class OfferQuery(Contract):
    """Which offers to check, for which channel and product categories."""

    pools: list[str] | None = Field(default=None, description="Offer pools, e.g. cart_recovery, geo; null = all")
    channel: Channel | None = Field(default=None, description="The channel the offer would be delivered on")
    categories: list[str] | None = Field(default=None, description="Categories of the products to promote")
    only_eligible: bool = Field(default=True, description="Leave out offers the customer cannot get")


class OfferOption(Contract):
    offer_id: str
    title: str
    pool: str
    eligible: bool
    reason: str = ""
    discount_percent: float = Field(description="Effective percent after the cap; 0 when not eligible")
    valid_until: AwareDatetime | None = None


class OfferAnswer(Contract):
    offers: list[OfferOption] = Field(default_factory=list)


class CheckOffersTool:
    """Binds the checker to one decision's context; runs it in a worker thread under a timeout."""

    name = TOOL_NAME

    def __init__(self, checker: OfferChecker, context: OfferContext, *, timeout_s: float = 0.5) -> None:
        self._checker = checker
        self._context = context
        self._timeout_s = check_timeout(timeout_s)

    @staticmethod
    def json_schema() -> dict[str, Any]:
        """The OpenAI function-tool definition."""
        return function_spec(
            TOOL_NAME,
            "List the offers this customer may receive now, with the effective discount. Only offer ids "
            "returned as eligible may be used.",
            OfferQuery,
        )

    async def run(self, query: OfferQuery) -> OfferAnswer:
        """Answer `query`, or raise ToolError on any fault or after `timeout_s`."""
        return await run_bounded(TOOL_NAME, self._timeout_s, self._answer, query)

    def _answer(self, query: OfferQuery) -> OfferAnswer:
        context = self._context
        checks = self._checker.check(
            profile=context.profile,
            event=context.event,
            channel=query.channel,
            cart_value=context.cart_value,
            now=context.now,
            redemptions=context.redemptions,
            store_nearby=context.store_nearby,
            pools=query.pools,
            categories=query.categories,
        )
        book = self._checker.offers
        return OfferAnswer(
            offers=[
                OfferOption(
                    offer_id=check.offer_id,
                    title=book[check.offer_id].title,
                    pool=book[check.offer_id].pool,
                    eligible=check.eligible,
                    reason=check.reason,
                    discount_percent=check.discount_percent,
                    valid_until=book[check.offer_id].eligibility.valid_until,
                )
                for check in checks
                if check.eligible or not query.only_eligible
            ]
        )
