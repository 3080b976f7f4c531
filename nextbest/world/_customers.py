"""Customer profiles: identities, consent, tiers, purchase histories and recent behaviour."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from random import Random
from typing import TypeVar
from zoneinfo import ZoneInfo

from nextbest.contracts import Consent, Product, Profile, Purchase, RecentEvent, Store, Traits

from ._people import ARCHETYPES, CONSENT_ODDS, TIER_ODDS, Archetype, contact_details, pick_name
from ._stores import ONLINE_STORE_ID

AS_OF = datetime(2026, 11, 28, tzinfo=UTC)
"""The demo world's "today": every purchase and event in a profile happened before it."""

_T = TypeVar("_T")
_PAGES = ("home", "category", "sale", "stores", "account")
_EVENT_TYPES = ("product_view", "product_view", "product_view", "page_view", "search", "add_to_cart")


def build_customers(
    rng: Random, products: Mapping[str, Product], stores: Mapping[str, Store], categories: Sequence[str]
) -> dict[str, Profile]:
    """Profiles C0001... in a shuffled but seeded mix of archetypes (loyal, lapsed, prospect, ...)."""
    kinds = [archetype for archetype in ARCHETYPES for _ in range(archetype.count)]
    rng.shuffle(kinds)
    by_category: dict[str, list[Product]] = defaultdict(list)
    for product_id in sorted(products):
        by_category[products[product_id].category].append(products[product_id])
    homes = [store for store_id, store in stores.items() if store_id != ONLINE_STORE_ID]
    world = _Shelf(rng, by_category, categories)
    profiles = [
        _customer(world, f"C{number:04d}", kind, rng.choice(homes)) for number, kind in enumerate(kinds, start=1)
    ]
    return {profile.user_id: profile for profile in profiles}


class _Shelf:
    """What a customer can browse and buy, drawn with the world's one random stream."""

    def __init__(self, rng: Random, by_category: Mapping[str, list[Product]], categories: Sequence[str]) -> None:
        self.rng = rng
        self.by_category = by_category
        self.categories = list(categories)

    def pick(self, preferred: Sequence[str]) -> Product:
        # Most browsing stays within what people like; some wanders.
        category = self.rng.choice(preferred) if self.rng.random() < 0.75 else self.rng.choice(self.categories)
        return self.rng.choice(self.by_category[category])


def _customer(shelf: _Shelf, user_id: str, kind: Archetype, home: Store) -> Profile:
    rng = shelf.rng
    zone = ZoneInfo(home.timezone)
    first, last = pick_name(rng)
    preferred = rng.sample(shelf.categories, rng.randint(1, 3))
    purchases = _purchases(shelf, user_id, kind, preferred, zone)
    spent = round(sum(purchase.total or 0 for purchase in purchases), 2)
    tier = _weighted(rng, TIER_ODDS[kind.name])
    traits = Traits(
        first_name=first,
        loyalty_tier=tier,
        lifetime_value=spent,
        price_band=_price_band(purchases),
        preferred_categories=preferred,
        city=home.city,
        home_store_id=home.store_id,
    )
    return Profile(
        user_id=user_id,
        identities=contact_details(rng, first, last, user_id, home),
        traits=traits,
        consent=_consent(rng, kind),
        timezone=home.timezone,
        purchase_history=purchases,
        recent_events=_recent_events(shelf, kind, preferred, zone),
        open_support_tickets=rng.choice((1, 1, 2)) if rng.random() < 0.06 else 0,
    )


def _purchases(
    shelf: _Shelf, user_id: str, kind: Archetype, preferred: Sequence[str], zone: ZoneInfo
) -> list[Purchase]:
    rng = shelf.rng
    count = rng.randint(*kind.orders)
    days = sorted((rng.randint(*kind.order_age_days) for _ in range(count)), reverse=True)
    if kind.name == "recent_buyer" and days:
        days[-1] = rng.randint(2, 6)
    purchases = []
    for number, days_ago in enumerate(days, start=1):
        items = list(
            {
                product.product_id: product
                for product in (shelf.pick(preferred) for _ in range(rng.choice((1, 1, 2, 3))))
            }.values()
        )
        purchases.append(
            Purchase(
                order_id=f"O-{user_id}-{number:02d}",
                occurred_at=_local_daytime(rng, days_ago, zone),
                product_ids=[product.product_id for product in items],
                total=round(sum(product.price for product in items), 2),
                categories=sorted({product.category for product in items}),
            )
        )
    return purchases


def _recent_events(shelf: _Shelf, kind: Archetype, preferred: Sequence[str], zone: ZoneInfo) -> list[RecentEvent]:
    rng = shelf.rng
    events = []
    for _ in range(rng.randint(*kind.recent_events)):
        when = _local_daytime(rng, rng.randint(1, 14), zone)
        event_type = rng.choice(_EVENT_TYPES)
        if event_type == "page_view":
            events.append(RecentEvent(type=event_type, occurred_at=when, page=rng.choice(_PAGES)))
            continue
        product = shelf.pick(preferred)
        if event_type == "search":
            query = (product.subcategory or product.category).replace("_", " ")
            events.append(RecentEvent(type=event_type, occurred_at=when, query=query, category=product.category))
        else:
            events.append(
                RecentEvent(type=event_type, occurred_at=when, product_id=product.product_id, category=product.category)
            )
    return sorted(events, key=lambda event: event.occurred_at)


def _consent(rng: Random, kind: Archetype) -> Consent:
    if kind.name == "silent":
        return Consent(global_opt_out=rng.random() < 0.5)
    # A channel the customer was never asked about stays missing (None), which counts as no.
    answers = {channel: _weighted(rng, odds) for channel, odds in CONSENT_ODDS.items()}
    return Consent(**answers, global_opt_out=rng.random() < 0.03)


def _weighted(rng: Random, odds: Sequence[tuple[_T, float]]) -> _T:
    return rng.choices([value for value, _ in odds], weights=[weight for _, weight in odds])[0]


def _price_band(purchases: Sequence[Purchase]) -> str | None:
    if not purchases:
        return None
    average = sum(purchase.total or 0 for purchase in purchases) / len(purchases)
    return "budget" if average < 60 else "mid" if average < 250 else "premium"


def _local_daytime(rng: Random, days_ago: int, zone: ZoneInfo) -> datetime:
    day = (AS_OF - timedelta(days=days_ago)).date()
    local = datetime(day.year, day.month, day.day, rng.randint(8, 21), rng.randint(0, 59), tzinfo=zone)
    moment = local.astimezone(UTC)
    # A US evening on the 27th is already the 28th in UTC; history must stay before "today".
    return moment - timedelta(days=1) if moment >= AS_OF else moment
