"""A representative moment for each playbook: the request, candidates and template values lint renders.

The samples are deterministic (a fixed moment, items picked in id order) so measured token counts and
snapshotted prompts only change when a playbook, the brand or the prompt builder changes. They lean to
the full side: a profile with a long history and the most candidates the playbook allows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import zip_longest

from nextbest.contracts import (
    CandidateSet,
    CartItem,
    Consent,
    DecideRequest,
    Event,
    EventContext,
    EventProperties,
    KnownEventType,
    Offer,
    OfferCandidate,
    Order,
    Product,
    ProductCandidate,
    Profile,
    Purchase,
    RecentEvent,
    Store,
    Traits,
)
from nextbest.world import World

from ._playbook import Brand, Fact, OfferSelector, Playbook, ProductSource
from ._templates import template_values

SAMPLE_MOMENT = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)
SAMPLE_FIRST_NAME = "Alex"
_HISTORY_EVENTS = 4  # a typical recent history; longer ones are trimmed to fit the budget at run time
_EVENT_ITEMS = 2  # items in the sample cart or order
_EVENT_BOUND_SOURCES = frozenset({ProductSource.CART, ProductSource.ORDER_ITEMS, ProductSource.EVENT_PRODUCT})
_CATALOG_SIZE = 50
_SYNTHETIC_CATEGORIES = ("footwear", "outerwear", "cameras", "coffee_equipment")


@dataclass(frozen=True)
class SampleMoment:
    """What one playbook sees in a representative moment."""

    request: DecideRequest
    candidates: CandidateSet
    values: dict[str, str]
    offer: OfferCandidate | None


@dataclass(frozen=True)
class _Stock:
    products: Sequence[Product]
    offers: Sequence[Offer]
    store: Store


def _synthetic_stock() -> _Stock:
    # Lengths match the demo catalog's averages (titles ~40, descriptions ~150 characters).
    products = [
        Product(
            product_id=f"SKU-{index:04d}",
            title=f"Northwind Trailhead Jacket {index}, Slate",
            category=_SYNTHETIC_CATEGORIES[index % len(_SYNTHETIC_CATEGORIES)],
            price=19.0 + 7 * index,
            description=(
                "Light and durable, with a water-resistant finish and reinforced seams. "
                "From the trail to the city. Sizes S–L. Shown in slate."
            ),
            sizes=["S", "M", "L"],
        )
        for index in range(1, _CATALOG_SIZE + 1)
    ]
    offers = [
        Offer(
            offer_id=f"OFF-SAMPLE-{index}",
            title=f"Sample offer {index}",
            pool="sample",
            discount_percent=10,
            code=f"SAMPLE{index}",
        )
        for index in range(1, 3)
    ]
    store = Store(store_id="S01", name="SoHo", city="New York", lat=40.7233, lon=-73.9997)
    return _Stock(products, offers, store)


def _drawn(offer: Offer, pool: str | OfferSelector) -> Offer:
    """A sample offer as the pool or selector would find it."""
    if isinstance(pool, str):
        return offer.model_copy(update={"pool": pool})
    return offer.model_copy(update={name: getattr(pool, name) for name in pool.model_fields_set})


def _stock_for(playbook: Playbook, world: World | None, offers: Mapping[str, Offer] | None) -> _Stock:
    if world is None:
        stock = _synthetic_stock()
        pooled = [_drawn(offer, pool) for pool in playbook.offer_pools for offer in stock.offers]
        return _Stock(stock.products, pooled, stock.store)
    # Real candidate sets mix categories: take the catalog round-robin over categories, in id order.
    by_category: dict[str, list[Product]] = {}
    for key in sorted(world.products):
        by_category.setdefault(world.products[key].category, []).append(world.products[key])
    products = [item for group in zip_longest(*by_category.values()) for item in group if item is not None]
    book = world.offers if offers is None else offers
    drawn = [book[key] for key in sorted(book) if playbook.draws(book[key])]
    return _Stock(products, drawn, world.stores[sorted(world.stores)[0]])


def _product_candidate(product: Product, source: str) -> ProductCandidate:
    return ProductCandidate(
        product_id=product.product_id,
        title=product.title,
        category=product.category,
        price=product.price,
        description=product.description[:400],
        sizes_in_stock=list(product.sizes),
        preferred_size=product.sizes[0] if product.sizes else None,
        available=12,
        source=source,
    )


def _offer_candidate(offer: Offer) -> OfferCandidate:
    return OfferCandidate.of(offer)


def _candidates(playbook: Playbook, stock: _Stock) -> CandidateSet:
    sources = playbook.candidates.products
    # Sources that only return what the event carries (its cart, its order) never fill max_products.
    bounded = all(source in _EVENT_BOUND_SOURCES for source in sources)
    count = min(playbook.candidates.max_products, _EVENT_ITEMS if bounded else _CATALOG_SIZE) if sources else 0
    chosen = stock.products[:count] if bounded else stock.products[1 : 1 + count]
    source = sources[0].value if sources else "none"
    near = playbook.candidates.store_radius_km is not None
    return CandidateSet(
        playbook_id=playbook.id,
        anchor=_product_candidate(stock.products[0], source) if sources else None,
        products=[_product_candidate(product, source) for product in chosen],
        offers=[_offer_candidate(offer) for offer in stock.offers],
        channels=list(playbook.channels),
        placements=list(playbook.placements),
        store=stock.store if near else None,
        store_distance_km=0.4 if near else None,
    )


def _page(playbook: Playbook) -> str:
    for condition in playbook.trigger.when:
        if condition.fact is Fact.PAGE and condition.op in ("==", "in"):
            value = condition.value[0] if isinstance(condition.value, list) else condition.value
            return str(value)
    return "product"


def _properties(event_type: str, stock: _Stock, candidates: CandidateSet) -> EventProperties:
    products = stock.products
    cart = [CartItem(product_id=product.product_id, price=product.price) for product in products[:_EVENT_ITEMS]]
    in_cart = event_type in (KnownEventType.CART_ABANDONED, KnownEventType.ADD_TO_CART)
    order = None
    if event_type == KnownEventType.PURCHASE:
        order = Order(order_id="ORD-10442", items=cart, total=sum(item.price or 0 for item in cart))
    return EventProperties(
        product_id=products[0].product_id,
        category=products[0].category,
        query="waterproof trail shoes" if event_type == KnownEventType.SEARCH else None,
        cart=cart if in_cart else [],
        cart_id="CART-7781" if in_cart else None,
        order=order,
        lat=stock.store.lat if candidates.store else None,
        lon=stock.store.lon if candidates.store else None,
    )


def _profile(stock: _Stock) -> Profile:
    products = stock.products
    recent = [
        RecentEvent(
            type="product_view",
            occurred_at=SAMPLE_MOMENT - timedelta(minutes=10 * (index + 1)),
            product_id=product.product_id,
            category=product.category,
            page="product",
        )
        for index, product in enumerate(products[:_HISTORY_EVENTS])
    ]
    purchases = [
        Purchase(
            order_id=f"ORD-{10_400 + index}",
            occurred_at=SAMPLE_MOMENT - timedelta(days=3 + 20 * index),
            product_ids=[product.product_id],
            total=product.price,
            categories=[product.category],
        )
        for index, product in enumerate(products[:3])
    ]
    return Profile(
        user_id="U-SAMPLE",
        traits=Traits(
            first_name=SAMPLE_FIRST_NAME,
            loyalty_tier="gold",
            price_band="mid",
            lifetime_value=840.0,
            preferred_categories=list(dict.fromkeys(product.category for product in products[:10])),
        ),
        consent=Consent(email=True, sms=True, push=True, web=True, app=True),
        purchase_history=purchases,
        recent_events=recent,
    )


def sample_moment(
    playbook: Playbook, brand: Brand, world: World | None, *, offers: Mapping[str, Offer] | None = None
) -> SampleMoment:
    """A full, deterministic moment for `playbook`: drawn from `world`, or from a built-in sample catalog.

    `offers` is the effective offer book (the world's merged with the offer file); the world's by default."""
    stock = _stock_for(playbook, world, offers)
    candidates = _candidates(playbook, stock)
    event_type = playbook.trigger.event_types[0]
    event = Event(
        event_id=f"sample-{playbook.id}",
        type=event_type,
        occurred_at=SAMPLE_MOMENT,
        user_id="U-SAMPLE",
        properties=_properties(event_type, stock, candidates),
        context=EventContext(surface=(playbook.trigger.surfaces or ["web"])[0], page=_page(playbook)),
    )
    request = DecideRequest(event=event, profile=_profile(stock))
    values = template_values(
        playbook,
        brand,
        request,
        candidates,
        first_name=SAMPLE_FIRST_NAME,
        offer=candidates.offers[0] if candidates.offers else None,
        chosen=candidates.products,
    )
    return SampleMoment(request, candidates, values, candidates.offers[0] if candidates.offers else None)
