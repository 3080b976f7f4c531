from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence

import pytest
from pydantic import ValidationError

from nextbest.contracts import Product, StockLevel, Store
from nextbest.errors import ToolError
from nextbest.world import World, load_world
from tools.inventory import InventoryIndex, InventoryQuery, InventoryTool, haversine_km

# Two SoHo-area stores 1.1 km apart, one in Paris, and the warehouse far away.
STORES = {
    "A": Store(store_id="A", name="SoHo", city="New York", lat=40.7233, lon=-73.9997, timezone="America/New_York"),
    "B": Store(store_id="B", name="Flatiron", city="New York", lat=40.7330, lon=-73.9960, timezone="America/New_York"),
    "P": Store(store_id="P", name="Marais", city="Paris", lat=48.8592, lon=2.3620, timezone="Europe/Paris"),
    "online": Store(store_id="online", name="Warehouse", city="New York", lat=40.7233, lon=-73.9997),
}
COAT = Product(product_id="P1", title="Coat", category="outerwear", price=200, sizes=["S", "M", "L"])
LAMP = Product(product_id="P2", title="Lamp", category="home", price=80)
STOCK = (
    ("P1", "S", "A", 0), ("P1", "M", "A", 2), ("P1", "L", "A", 1),
    ("P1", "S", "B", 3), ("P1", "M", "B", 0), ("P1", "L", "B", 0),
    ("P1", "S", "online", 10), ("P1", "M", "online", 0), ("P1", "L", "online", 4),
    ("P2", None, "A", 0), ("P2", None, "P", 5), ("P2", None, "online", 0),
)  # fmt: skip


@pytest.fixture
def small_world() -> World:
    rows = tuple(StockLevel(product_id=p, size=s, store_id=st, quantity=q) for p, s, st, q in STOCK)
    return World(products={"P1": COAT, "P2": LAMP}, stores=STORES, offers={}, customers={}, stock=rows, categories=())


@pytest.fixture
def inventory(small_world: World) -> InventoryIndex:
    return InventoryIndex(small_world.stock, small_world.stores.values())


def test_haversine_matches_known_distances() -> None:
    assert haversine_km(51.5074, -0.1278, 48.8566, 2.3522) == pytest.approx(343.5, abs=0.5)  # London-Paris
    assert haversine_km(40.0, -73.0, 40.0, -73.0) == 0
    assert haversine_km(0, 0, 0.001, 0) == pytest.approx(0.1112, abs=0.001)


@pytest.mark.parametrize(
    ("product_id", "size", "store_id", "expected"),
    [
        ("P1", None, None, 20),
        ("P1", "S", None, 13),
        ("P1", "M", None, 2),
        ("P1", None, "A", 3),
        ("P1", "S", "B", 3),
        ("P1", "M", "online", 0),
        ("P2", None, None, 5),
        ("P2", None, "A", 0),
        ("P1", "XXL", None, 0),
        ("P9", None, None, 0),
        ("P1", None, "Z", 0),
    ],
)
def test_available_rolls_up_sizes_and_stores(
    inventory: InventoryIndex, product_id: str, size: str | None, store_id: str | None, expected: int
) -> None:
    assert inventory.available(product_id, size=size, store_id=store_id) == expected


def test_levels_are_the_product_rows(inventory: InventoryIndex) -> None:
    assert sorted((row.size, row.store_id) for row in inventory.levels("P2")) == [
        (None, "A"),
        (None, "P"),
        (None, "online"),
    ]
    assert list(inventory.levels("P9")) == []


@pytest.mark.parametrize(
    ("product_id", "store_id", "expected"),
    [
        ("P1", None, {"S": 13, "M": 2, "L": 5}),
        ("P1", "A", {"M": 2, "L": 1}),
        ("P1", "B", {"S": 3}),
        ("P2", None, {None: 5}),
        ("P2", "online", {}),
        ("P1", "Z", {}),
        ("P9", None, {}),
    ],
)
def test_in_stock_holds_only_sizes_with_units(
    inventory: InventoryIndex, product_id: str, store_id: str | None, expected: dict[str | None, int]
) -> None:
    assert inventory.in_stock(product_id, store_id=store_id) == expected


def test_in_stock_agrees_with_the_rows_of_the_real_world() -> None:
    world = load_world()
    inventory = InventoryIndex(world.stock, world.stores.values())
    store = sorted(world.stores)[0]
    for product_id in list(world.products)[::7]:
        for at in (None, store):
            rows = [r for r in world.stock if r.product_id == product_id and at in (None, r.store_id)]
            held: dict[str | None, int] = {}
            for row in rows:
                if row.quantity > 0:
                    held[row.size] = held.get(row.size, 0) + row.quantity
            assert inventory.in_stock(product_id, store_id=at) == held


def test_stores_near_are_sorted_within_radius_and_never_the_warehouse(inventory: InventoryIndex) -> None:
    near = inventory.stores_near(40.7240, -73.9990, 2)
    assert [store.store_id for store, _ in near] == ["A", "B"]
    assert near[0][1] < near[1][1] < 2
    assert [store.store_id for store, _ in inventory.stores_near(40.7240, -73.9990, 0.5)] == ["A"]
    assert inventory.stores_near(0, 0, 100) == []


def test_the_index_agrees_with_the_raw_rows_of_the_real_world() -> None:
    world = load_world()
    inventory = InventoryIndex(world.stock, world.stores.values())
    totals: dict[tuple[str, str | None], int] = {}
    for row in world.stock:
        totals[(row.product_id, row.size)] = totals.get((row.product_id, row.size), 0) + row.quantity
    for (product_id, size), total in totals.items():
        assert inventory.available(product_id, size=size) == total
    assert sum(inventory.available(pid) for pid in world.products) == sum(row.quantity for row in world.stock)


async def test_tool_reports_totals_sizes_and_nearby_stock(inventory: InventoryIndex) -> None:
    query = InventoryQuery(product_ids=["P1", "P2", "P9"], lat=40.7240, lon=-73.9990, radius_km=2)
    answer = await InventoryTool(inventory).run(query)
    coat, lamp, ghost = answer.products
    assert (coat.known, coat.available, coat.online, coat.sizes_in_stock) == (True, 20, 14, ["S", "M", "L"])
    assert [(s.store_id, s.quantity) for s in coat.stores_nearby] == [("A", 3), ("B", 3)]
    assert coat.stores_nearby[0].distance_km < coat.stores_nearby[1].distance_km
    assert (lamp.available, lamp.sizes_in_stock, lamp.stores_nearby) == (5, [], [])
    assert (ghost.known, ghost.available) == (False, 0)


async def test_tool_narrows_to_a_size_and_a_store(inventory: InventoryIndex) -> None:
    answer = await InventoryTool(inventory).run(InventoryQuery(product_ids=["P1"], size="M", store_id="A"))
    (coat,) = answer.products
    assert (coat.available, coat.online) == (2, 0)
    assert coat.sizes_in_stock == ["M", "L"]
    nearby = await InventoryTool(inventory).run(InventoryQuery(product_ids=["P1"], size="S", lat=40.724, lon=-73.999))
    assert [(s.store_id, s.quantity) for s in nearby.products[0].stores_nearby] == [("B", 3)]


@pytest.mark.parametrize(
    "body",
    [{"product_ids": []}, {"product_ids": ["P1"], "lat": 40.7}, {"product_ids": ["P1"], "radius_km": 0}],
)
def test_query_rejects_incomplete_input(body: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        InventoryQuery.model_validate(body)


def test_json_schema_is_an_openai_function_tool() -> None:
    schema = InventoryTool.json_schema()
    assert schema["type"] == "function"
    function = schema["function"]
    assert function["name"] == "check_inventory"
    assert function["parameters"]["required"] == ["product_ids"]
    assert {"product_ids", "size", "store_id", "lat", "lon", "radius_km"} == set(function["parameters"]["properties"])
    assert "$defs" not in function["parameters"]


class _Stuck:
    """An adapter whose calls block until released, like a hung inventory service."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def levels(self, product_id: str) -> Sequence[StockLevel]:
        self.release.wait(timeout=10)
        return ()

    def in_stock(self, product_id: str, *, store_id: str | None = None) -> Mapping[str | None, int]:
        return {}

    def available(self, product_id: str, *, size: str | None = None, store_id: str | None = None) -> int:
        return 0

    def stores_near(self, lat: float, lon: float, radius_km: float) -> Sequence[tuple[Store, float]]:
        return ()


class _Broken(_Stuck):
    def levels(self, product_id: str) -> Sequence[StockLevel]:
        raise ConnectionError("inventory service down")


async def test_tool_times_out_as_a_tool_error() -> None:
    stuck = _Stuck()
    try:
        with pytest.raises(ToolError, match=r"check_inventory: timed out after 0\.05s") as caught:
            await InventoryTool(stuck, max_timeout_s=0.05).run(InventoryQuery(product_ids=["P1"]))
    finally:
        # Free the worker thread before the event loop shuts its executor down and waits for it.
        stuck.release.set()
    assert caught.value.tool == "check_inventory"


async def test_adapter_failure_becomes_a_tool_error() -> None:
    with pytest.raises(ToolError, match="inventory service down") as caught:
        await InventoryTool(_Broken()).run(InventoryQuery(product_ids=["P1"]))
    assert isinstance(caught.value.__cause__, ConnectionError)


def test_timeout_must_be_positive(inventory: InventoryIndex) -> None:
    with pytest.raises(ValueError, match="positive"):
        InventoryTool(inventory, max_timeout_s=0)
