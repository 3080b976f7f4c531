"""Candidate sources: one registered object per playbook name, run in the playbook's order, faults recorded."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from nextbest.contracts import CartItem, DecideRequest, Event, EventProperties, Product, StockLevel, Store
from nextbest.errors import StoreError
from nextbest.policy import ProductSource
from nextbest.policy._samples import _EVENT_BOUND_SOURCES
from tools.candidates import SOURCES, CatalogView, Need, SourceInput, find_products
from tools.catalog import CatalogFilter, CatalogHit
from tools.inventory import InventoryIndex

AT = datetime(2027, 3, 9, 18, 30, tzinfo=UTC)
DRIPPER = Product(product_id="D1", title="Ceramic Dripper", category="brewing", price=30, bought_together=["F1", "K1"])
FILTERS = Product(product_id="F1", title="Paper Filters", category="brewing", price=6)
KETTLE = Product(product_id="K1", title="Gooseneck Kettle", category="brewing", price=65)
SCALE = Product(product_id="S1", title="Brew Scale", category="brewing", price=45)
CATALOG = CatalogView({p.product_id: p for p in (DRIPPER, FILTERS, KETTLE, SCALE)})
CAFE = Store(store_id="ST1", name="Harbour", city="Oslo", lat=59.91, lon=10.75)
ROWS = [
    StockLevel(product_id="D1", store_id="online", quantity=4),
    StockLevel(product_id="F1", store_id="online", quantity=40),
    StockLevel(product_id="K1", store_id="online", quantity=0),  # sold out
    StockLevel(product_id="S1", store_id="ST1", quantity=2),
    StockLevel(product_id="F1", store_id="ST1", quantity=3),
]


def _request(**properties: Any) -> DecideRequest:
    event = Event(
        event_id="ev-1",
        type="add_to_cart",
        occurred_at=AT,
        anonymous_id="a-1",
        properties=EventProperties(**properties),
    )
    return DecideRequest(event=event)


def _given(request: DecideRequest, **changes: Any) -> SourceInput:
    return SourceInput(request, CATALOG, InventoryIndex(ROWS, [CAFE]), **changes)


class _Search:
    def __init__(self, ranked: list[str] | None = None, *, down: bool = False) -> None:
        self.ranked, self.down = ranked or [], down

    def search(self, query: str, flt: CatalogFilter, k: int = 10) -> list[CatalogHit]:
        if self.down:
            raise StoreError("catalog search failed: connection refused")
        return [_hit(CATALOG.get(pid)) for pid in self.ranked[:k]]

    def similar(self, product_id: str, flt: CatalogFilter, k: int = 10) -> list[CatalogHit]:
        return []


def _hit(product: Product | None) -> CatalogHit:
    assert product is not None
    return CatalogHit(
        product_id=product.product_id,
        title=product.title,
        category=product.category,
        price=product.price,
        in_stock=True,
        score=0.8,
    )


def test_every_playbook_source_name_has_exactly_one_registered_source() -> None:
    assert set(SOURCES) == set(ProductSource)
    assert all(name is source.name for name, source in SOURCES.items())


def test_the_sources_bound_by_the_event_agree_with_the_policy_samples() -> None:
    # The samples that prompt lint renders assume these sources never fill max_products.
    assert {name for name, source in SOURCES.items() if source.event_bound} == _EVENT_BOUND_SOURCES


def test_sources_run_in_the_playbooks_order_and_a_product_counts_once() -> None:
    request = _request(cart=[CartItem(product_id="D1", size=None)])
    errors: list[str] = []
    products, anchor = find_products(
        [ProductSource.CART, ProductSource.BOUGHT_TOGETHER, ProductSource.CART],
        _given(request),
        max_products=5,
        errors=errors,
    )
    assert [(p.product_id, p.source) for p in products] == [("D1", "cart"), ("F1", "bought_together")]  # K1 sold out
    assert anchor is not None and (anchor.product_id, anchor.source) == ("D1", "cart")
    assert errors == []


def test_max_products_stops_the_gathering() -> None:
    request = _request(cart=[CartItem(product_id="D1")])
    products, _ = find_products(
        [ProductSource.CART, ProductSource.BOUGHT_TOGETHER], _given(request), max_products=1, errors=[]
    )
    assert [p.product_id for p in products] == ["D1"]


def test_a_source_that_needs_a_store_is_skipped_without_one() -> None:
    nearby = SOURCES[ProductSource.NEARBY_STOCK]
    assert nearby.needs == frozenset({Need.STORE})
    request = _request()
    assert not nearby.ready(_given(request))
    assert find_products([ProductSource.NEARBY_STOCK], _given(request), max_products=5, errors=[]) == ([], None)
    with_store, _ = find_products([ProductSource.NEARBY_STOCK], _given(request, store=CAFE), max_products=5, errors=[])
    # No history: the items the store has in stock (D1 and K1 have none there), in id order.
    assert [(p.product_id, p.store_id, p.available) for p in with_store] == [("F1", "ST1", 3), ("S1", "ST1", 2)]


def test_search_results_lead_the_session_intent() -> None:
    request = _request(query="pour over scale", product_id="D1")
    products, anchor = find_products(
        [ProductSource.SESSION_INTENT], _given(request, search=_Search(["S1"])), max_products=5, errors=[]
    )
    # The search hit first, then what goes with the viewed dripper (the kettle is sold out).
    assert [(p.product_id, p.relevance) for p in products] == [("S1", 0.95), ("F1", 0.8)]
    assert anchor is not None and anchor.product_id == "D1"
    without_search, _ = find_products([ProductSource.SESSION_INTENT], _given(request), max_products=5, errors=[])
    assert [p.product_id for p in without_search] == ["F1"]


def test_a_failing_source_is_recorded_and_the_others_still_run() -> None:
    request = _request(query="kettle", cart=[CartItem(product_id="D1")])
    errors: list[str] = []
    products, _ = find_products(
        [ProductSource.SESSION_INTENT, ProductSource.CART],
        _given(request, search=_Search(down=True)),
        max_products=5,
        errors=errors,
    )
    assert [p.product_id for p in products] == ["D1"]
    assert errors == ["session_intent: catalog search failed: connection refused"]


def test_without_history_nearby_stock_spreads_one_category_over_its_subcategories() -> None:
    # A catalog with one top-level category (a pet shop: "Pet Supplies > ..."): the first product of every
    # subcategory comes before the second of any, so the invitation shows several kinds of product.
    kinds = {"coats": 5, "toys": 2, "litter": 1}
    products = [
        Product(product_id=f"{kind[:2]}-{n}", title=f"{kind} {n}", category="Pet Supplies", subcategory=kind, price=9)
        for kind, count in kinds.items()
        for n in range(count)
    ]
    rows = [StockLevel(product_id=p.product_id, store_id="ST1", quantity=1) for p in products]
    catalog = CatalogView({p.product_id: p for p in products})
    given = SourceInput(_request(), catalog, InventoryIndex(rows, [CAFE]), store=CAFE)
    found, _ = find_products([ProductSource.NEARBY_STOCK], given, max_products=4, errors=[])
    assert [p.product_id for p in found] == ["co-0", "li-0", "to-0", "co-1"]
