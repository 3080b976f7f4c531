"""The product sources' work: each turns the moment into ranked product ids (and maybe an anchor)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from nextbest.contracts import DecideRequest, Product, Store
from nextbest.policy import ProductSource

from ..catalog.search import CatalogSearch, search_ids, similar_ids
from ..inventory import InventoryAdapter
from .view import CatalogView

PRICE_BANDS: dict[str, tuple[float, float]] = {"budget": (0, 60), "mid": (25, 200), "premium": (90, 100_000)}
SESSION_EVENTS = ("product_view", "search", "add_to_cart")
SESSION_WINDOW = timedelta(hours=2)
"""How far back a bare event looks for the session's latest intent (the `session_views` fact's window)."""


@dataclass(frozen=True)
class SourceHit:
    product_id: str
    source: ProductSource
    relevance: float
    size: str | None = None


@dataclass(frozen=True)
class SourceInput:
    """Everything a source may read for one decision."""

    request: DecideRequest
    catalog: CatalogView
    inventory: InventoryAdapter
    search: CatalogSearch | None = None
    store: Store | None = None


Hits = tuple[list[SourceHit], SourceHit | None]
"""Ranked hits, and the anchor (what the moment is about) when the source knows one."""


def _links(product: Product | None, source: ProductSource, relevance: float, *, compatible: bool) -> list[SourceHit]:
    if product is None:
        return []
    ids = product.compatible_with if compatible else product.bought_together
    step = 0.2 / max(len(ids), 1)
    return [SourceHit(pid, source, round(relevance - index * step, 4)) for index, pid in enumerate(ids)]


def cart(given: SourceInput) -> Hits:
    hits = [
        SourceHit(item.product_id, ProductSource.CART, 1.0 - index * 0.01, item.size)
        for index, item in enumerate(given.request.event.properties.cart)
        if item.product_id in given.catalog
    ]
    return hits, hits[0] if hits else None


def _event_product(request: DecideRequest, catalog: CatalogView) -> Product | None:
    props = request.event.properties
    product_id = props.product_id or (props.cart[0].product_id if props.cart else None)
    return catalog.get(product_id) if product_id else None


def event_product(given: SourceInput) -> Hits:
    product = _event_product(given.request, given.catalog)
    if product is None:
        return [], None
    hit = SourceHit(product.product_id, ProductSource.EVENT_PRODUCT, 1.0)
    return [hit], hit


def _linked(given: SourceInput, *, compatible: bool) -> Hits:
    product = _event_product(given.request, given.catalog)
    source = ProductSource.COMPATIBLE if compatible else ProductSource.BOUGHT_TOGETHER
    anchor = SourceHit(product.product_id, ProductSource.EVENT_PRODUCT, 1.0) if product else None
    return _links(product, source, 0.9 if compatible else 0.95, compatible=compatible), anchor


def bought_together(given: SourceInput) -> Hits:
    return _linked(given, compatible=False)


def compatible(given: SourceInput) -> Hits:
    return _linked(given, compatible=True)


def _latest_purchase_products(request: DecideRequest, catalog: CatalogView) -> list[Product]:
    profile = request.profile
    if profile is None or not profile.purchase_history:
        return []
    latest = max(profile.purchase_history, key=lambda purchase: purchase.occurred_at)
    return [product for pid in latest.product_ids if (product := catalog.get(pid)) is not None]


def _purchased_ids(request: DecideRequest) -> set[str]:
    profile = request.profile
    if profile is None:
        return set()
    return {pid for purchase in profile.purchase_history for pid in purchase.product_ids}


def order_pairs(given: SourceInput) -> Hits:
    bought = _latest_purchase_products(given.request, given.catalog)
    owned = _purchased_ids(given.request)
    hits: list[SourceHit] = []
    for product in bought:
        hits += _links(product, ProductSource.ORDER_PAIRS, 0.9, compatible=False)
        hits += _links(product, ProductSource.ORDER_PAIRS, 0.85, compatible=True)
    hits = [hit for hit in hits if hit.product_id not in owned]
    anchor = SourceHit(bought[0].product_id, ProductSource.ORDER_ITEMS, 1.0) if bought else None
    return hits, anchor


def order_items(given: SourceInput) -> Hits:
    order = given.request.event.properties.order
    items = order.items if order else []
    hits = [
        SourceHit(item.product_id, ProductSource.ORDER_ITEMS, 1.0, item.size)
        for item in items
        if item.product_id in given.catalog
    ]
    return hits, hits[0] if hits else None


def latest_intent(request: DecideRequest) -> tuple[str | None, str | None]:
    """(query, product id) the session's latest intent names: the event's own, else, for a bare event, the
    newest search or product event of the session in `recent_events` (remembered ones included)."""
    props = request.event.properties
    if props.query or props.product_id or request.profile is None:
        return props.query, props.product_id
    at = request.event.occurred_at
    session = [
        event
        for event in request.profile.recent_events
        if event.type in SESSION_EVENTS
        and (event.query or event.product_id)
        and at - SESSION_WINDOW <= event.occurred_at <= at
    ]
    latest = max(session, key=lambda event: event.occurred_at, default=None)
    return (latest.query, latest.product_id) if latest is not None else (None, None)


def session_intent(given: SourceInput) -> Hits:
    """The latest intent leads: a search query beats the viewed product, which beats earlier views."""
    request, catalog, search = given.request, given.catalog, given.search
    query, product_id = latest_intent(request)
    hits: list[SourceHit] = []
    anchor: SourceHit | None = None
    if query and search is not None:
        # A search hit that fits what the session looked at earlier (a card for the viewed camera) ranks first.
        fits = {hit.product_id for hit in _earlier_session(request, catalog)}
        ids = search_ids(search, query, k=15)
        hits += [
            SourceHit(pid, ProductSource.SESSION_INTENT, round(0.95 - i * 0.02 + (0.04 if pid in fits else 0), 4))
            for i, pid in enumerate(ids)
        ]
    product = catalog.get(product_id) if product_id else None
    if product is not None:
        anchor = SourceHit(product.product_id, ProductSource.EVENT_PRODUCT, 1.0)
        hits += _links(product, ProductSource.SESSION_INTENT, 0.85, compatible=True)
        hits += _links(product, ProductSource.SESSION_INTENT, 0.8, compatible=False)
        if search is not None:
            similar = similar_ids(search, product.product_id, k=8)
            hits += [
                SourceHit(pid, ProductSource.SESSION_INTENT, 0.6 - i * 0.01, None) for i, pid in enumerate(similar)
            ]
    hits += _earlier_session(request, catalog)
    viewed = {product_id} if product_id else set()
    return [hit for hit in hits if hit.product_id not in viewed], anchor


def _earlier_session(request: DecideRequest, catalog: CatalogView) -> list[SourceHit]:
    if request.profile is None:
        return []
    recent = sorted(
        (event for event in request.profile.recent_events if event.type in SESSION_EVENTS and event.product_id),
        key=lambda event: event.occurred_at,
        reverse=True,
    )
    hits: list[SourceHit] = []
    for rank, event in enumerate(recent[:3]):
        hits += _links(
            catalog.get(event.product_id or ""), ProductSource.SESSION_INTENT, 0.5 - rank * 0.1, compatible=True
        )
    return hits


def _affinity_categories(request: DecideRequest, catalog: CatalogView) -> list[str]:
    profile = request.profile
    if profile is None:
        return []
    counts: Counter[str] = Counter()
    for purchase in profile.purchase_history:
        for pid in purchase.product_ids:
            if (product := catalog.get(pid)) is not None:
                counts[product.category] += 2
    for event in profile.recent_events:
        if event.category:
            counts[event.category] += 1
        elif event.product_id and (product := catalog.get(event.product_id)) is not None:
            counts[product.category] += 1
    for category in profile.traits.preferred_categories:
        counts[category] += 1
    return [category for category, _ in counts.most_common(3)]


def history_affinity(given: SourceInput) -> Hits:
    request, catalog = given.request, given.catalog
    categories = _affinity_categories(request, catalog)
    band = request.profile.traits.price_band if request.profile else None
    low, high = PRICE_BANDS.get(band or "", (0, 100_000))
    owned = _purchased_ids(request)
    hits: list[SourceHit] = []
    for rank, category in enumerate(categories):
        products = [p for p in catalog.in_category(category) if low <= p.price <= high and p.product_id not in owned]
        products.sort(key=lambda product: (-product.margin, product.product_id))
        hits += [
            SourceHit(p.product_id, ProductSource.HISTORY_AFFINITY, round(0.8 - rank * 0.1 - i * 0.01, 4))
            for i, p in enumerate(products[:8])
        ]
    return hits, None


def nearby_stock(given: SourceInput) -> Hits:
    store = given.store
    if store is None:
        return [], None
    hits, _ = history_affinity(given)
    if not hits:  # no history: the store's best-margin items in any category still make a fair invitation
        hits = [SourceHit(pid, ProductSource.NEARBY_STOCK, 0.4) for pid in _any_stock(given, store)]
    return [SourceHit(h.product_id, ProductSource.NEARBY_STOCK, h.relevance) for h in hits], None


def _any_stock(given: SourceInput, store: Store, *, limit: int = 12, scan: int = 60) -> list[str]:
    """Products in stock at the store from every category, spread over each category's subcategories (a
    catalog with one top-level category still shows several kinds of product)."""
    categories = given.catalog.categories
    per_category = max(3, limit // max(len(categories), 1))
    found: list[str] = []
    for category in categories:
        stocked = [
            product
            for product in given.catalog.in_category(category)[:scan]
            if given.inventory.available(product.product_id, store_id=store.store_id) > 0
        ]
        found += [product.product_id for product in _spread(stocked)[:per_category]]
    return found[:limit]


def _spread(products: list[Product]) -> list[Product]:
    """The first product of each subcategory, then the second of each, ...; otherwise in the given order."""
    seen: Counter[str | None] = Counter()
    ranked: list[tuple[int, Product]] = []
    for product in products:
        ranked.append((seen[product.subcategory], product))
        seen[product.subcategory] += 1
    return [product for _, product in sorted(ranked, key=lambda pair: pair[0])]


def _category_key(name: str) -> str:
    return "_".join("".join(ch if ch.isalnum() else " " for ch in name.lower()).split())


def browsed_category(given: SourceInput) -> Hits:
    """The category the event browses (a category page, a product list): its best-margin products, or
    what retrieval finds for the category's name when the catalog has no category by that name."""
    wanted = given.request.event.properties.category
    if not wanted:
        return [], None
    key = _category_key(wanted)
    match = next((name for name in given.catalog.categories if _category_key(name) == key), None)
    if match is not None:
        products = sorted(given.catalog.in_category(match), key=lambda p: (-p.margin, p.product_id))[:12]
        ids = [product.product_id for product in products]
    else:
        ids = search_ids(given.search, wanted.replace("_", " "), k=12) if given.search is not None else []
    return [SourceHit(pid, ProductSource.BROWSED_CATEGORY, round(0.8 - i * 0.01, 4)) for i, pid in enumerate(ids)], None
