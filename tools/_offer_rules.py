"""The eligibility rules, one small function each, so every rule can be tested and read on its own."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time

from nextbest.contracts import Channel, Event, Offer, Product, Profile


@dataclass(frozen=True)
class Situation:
    """Everything about one customer at one moment that an offer's rules look at."""

    profile: Profile | None
    event: Event
    channel: Channel | None
    cart_value: float
    now: datetime
    redemptions: Mapping[str, int]
    store_nearby: bool
    categories: frozenset[str]
    products: tuple[Product, ...] = ()
    product_ids: frozenset[str] = frozenset()
    """The ids in context as sent (group or variant) and the group id each resolves to."""

    @property
    def converted(self) -> bool:
        """Has bought before, or is buying right now: acquisition and first-order offers no longer apply."""
        if self.event.type == "purchase":
            return True
        if self.profile is None:
            return False
        return bool(self.profile.purchase_history) or (self.profile.traits.lifetime_value or 0) > 0


Rule = Callable[[Offer, Situation], str | None]


def context_ids(event: Event) -> list[str]:
    """The product ids the event names: viewed, in the cart, in the order."""
    properties = event.properties
    ids = [properties.product_id, *(item.product_id for item in properties.cart)]
    if properties.order is not None:
        ids.extend(item.product_id for item in properties.order.items)
    return [pid for pid in ids if pid is not None]


def _type_path(text: str) -> tuple[str, ...]:
    return tuple(part.strip().lower() for part in text.split(">") if part.strip())


def _product_path(product: Product) -> tuple[str, ...]:
    if product.product_type:
        return _type_path(product.product_type)
    return _type_path(" > ".join(part for part in (product.category, product.subcategory) if part))


def _when(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    # Windows are written as whole days (00:00:00 to 23:59:59); say the day, as a marketer would.
    if moment.time() in (time(0, 0), time(23, 59, 59)):
        return moment.date().isoformat()
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _listed(values: Iterable[object]) -> str:
    return "[" + ", ".join(str(value) for value in values) + "]"


def starts(offer: Offer, at: Situation) -> str | None:
    start = offer.eligibility.valid_from
    return f"not valid until {_when(start)}" if start is not None and at.now < start else None


def expires(offer: Offer, at: Situation) -> str | None:
    end = offer.eligibility.valid_until
    return f"expired {_when(end)}" if end is not None and at.now > end else None


def trigger(offer: Offer, at: Situation) -> str | None:
    types = offer.eligibility.event_types
    if types and at.event.type not in types:
        return f"event {at.event.type} not in {_listed(types)}"
    return None


def channel(offer: Offer, at: Situation) -> str | None:
    # An undecided channel is not a reason to refuse: the channel guardrail checks the final pick.
    allowed = offer.eligibility.channels
    if allowed and at.channel is not None and at.channel not in allowed:
        return f"channel {at.channel.value} not allowed {_listed(c.value for c in allowed)}"
    return None


def store_nearby(offer: Offer, at: Situation) -> str | None:
    return "needs a store nearby" if offer.eligibility.requires_store_nearby and not at.store_nearby else None


def tier(offer: Offer, at: Situation) -> str | None:
    tiers = [name.lower() for name in offer.eligibility.tiers]
    if not tiers:
        return None
    if at.profile is None:
        return "anonymous visitor: tier offers need a profile"
    mine = (at.profile.traits.loyalty_tier or "").lower()
    if not mine:
        return f"no loyalty tier, needs one of {_listed(tiers)}"
    return None if mine in tiers else f"tier {mine} not in {_listed(tiers)}"


def first_purchase(offer: Offer, at: Situation) -> str | None:
    return "first purchase only" if offer.eligibility.first_purchase_only and at.converted else None


def acquisition(offer: Offer, at: Situation) -> str | None:
    return "acquisition offer: customer already converted" if offer.acquisition and at.converted else None


def min_cart(offer: Offer, at: Situation) -> str | None:
    minimum = offer.eligibility.min_cart_value
    return f"cart {at.cart_value:.2f} < min {minimum:.2f}" if at.cart_value < minimum else None


def category(offer: Offer, at: Situation) -> str | None:
    wanted = offer.eligibility.categories
    if not wanted or at.categories & set(wanted):
        return None
    if not at.categories:
        return f"only for {_listed(wanted)}: no product category in context"
    return f"categories {_listed(sorted(at.categories))} not in {_listed(wanted)}"


def _no_products(wanted: Iterable[object], what: str) -> str:
    return f"only for {what} {_listed(wanted)}: no product in context"


def product_type(offer: Offer, at: Situation) -> str | None:
    # A prefix of whole levels: "Camping > Tents" covers "Camping > Tents > Dome", never "Camping > Tent pegs".
    wanted = offer.eligibility.product_types
    if not wanted:
        return None
    prefixes = [_type_path(text) for text in wanted]
    paths = [_product_path(product) for product in at.products]
    if any(path[: len(prefix)] == prefix for path in paths for prefix in prefixes):
        return None
    if not paths:
        return _no_products(wanted, "product types")
    return f"product types {_listed(sorted(' > '.join(path) for path in paths))} not under {_listed(wanted)}"


def brand(offer: Offer, at: Situation) -> str | None:
    wanted = {name.lower() for name in offer.eligibility.brands}
    if not wanted:
        return None
    mine = {product.brand.lower() for product in at.products if product.brand}
    if mine & wanted:
        return None
    if not at.products:
        return _no_products(offer.eligibility.brands, "brands")
    return f"brands {_listed(sorted(mine))} not in {_listed(offer.eligibility.brands)}"


def product(offer: Offer, at: Situation) -> str | None:
    # A listed group id covers all its variants; a listed variant id only that variant.
    wanted = offer.eligibility.product_ids
    if not wanted or at.product_ids & set(wanted):
        return None
    if not at.product_ids:
        return _no_products(wanted, "products")
    return f"no product in context is one of {_listed(wanted)}"


def is_product_specific(offer: Offer) -> bool:
    """Whether the offer names the products it applies to (by category, type, brand or id)."""
    wanted = offer.eligibility
    return bool(wanted.categories or wanted.product_types or wanted.brands or wanted.product_ids)


def applies_to(offer: Offer, item: Product) -> bool:
    """Whether the offer's product filters (the rules above) admit `item`; an offer without filters admits all."""
    wanted = offer.eligibility
    path = _product_path(item)
    ids = {item.product_id, *(variant.variant_id for variant in item.variants)}
    return (
        (not wanted.categories or item.category in wanted.categories)
        and (not wanted.product_types or any(path[: len(p)] == p for p in map(_type_path, wanted.product_types)))
        and (not wanted.brands or (item.brand or "").lower() in {name.lower() for name in wanted.brands})
        and (not wanted.product_ids or bool(ids & set(wanted.product_ids)))
    )


def limit(offer: Offer, at: Situation) -> str | None:
    cap = offer.eligibility.per_customer_limit
    if cap is not None and at.redemptions.get(offer.offer_id, 0) >= cap:
        return f"limit {cap} per customer reached"
    return None


RULES: tuple[Rule, ...] = (
    starts,
    expires,
    trigger,
    channel,
    store_nearby,
    tier,
    first_purchase,
    acquisition,
    min_cart,
    category,
    product_type,
    brand,
    product,
    limit,
)
