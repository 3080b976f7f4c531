"""The stock grid a worker loads: every stored row round-trips, and live changes on top of it match a fresh load.

Runs on SQLite and PostgreSQL: each backend joins a SKU's stores and quantities with its own aggregate.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from nextbest.app._refresh import DataRefresher, load_data
from nextbest.contracts import Product, Store, Variant
from nextbest.retail import NO_STOCK_ROW, DataSet, RetailBatch, RetailStore, StockGrid, stock_table
from tools.data import RetailData

from .conftest import open_backend

Row = tuple[str, str | None, str | None, str, int]

# Ids shaped unlike the demo's and the other retail tests': slashes, a comma and a space in a store code.
PLANTER = Product(
    product_id="planter/oak",
    title="Oak planter",
    category="Patio",
    price=120,
    sizes=["60cm", "90cm"],
    variants=[Variant(variant_id="oak#60", size="60cm"), Variant(variant_id="oak#90", size="90cm")],
)
LANTERN = Product(product_id="lantern/brass", title="Brass lantern", category="Patio", price=45, sizes=["one"])
BENCH = Product(product_id="bench/teak", title="Teak bench", category="Furniture", price=400)
SHOPS = [
    Store(store_id="NYC,5 Av", name="Fifth Avenue", lat=40.75, lon=-73.98),
    Store(store_id="bk-02", name="Brooklyn", lat=40.68, lon=-73.97),
    Store(store_id="online", name="Web warehouse", lat=0, lon=0),
]
ROWS: list[Row] = [
    ("planter/oak", "oak#60", "60cm", "NYC,5 Av", 3),
    ("planter/oak", "oak#60", "60cm", "bk-02", 0),
    ("planter/oak", "oak#90", "90cm", "online", 11),
    ("lantern/brass", None, "one", "bk-02", 7),  # stock kept per size, without a variant id
    ("bench/teak", None, None, "online", 2),  # the product itself is the SKU
]


def _table(rows: list[Row]) -> pa.Table:
    products, variants, sizes, stores, quantities = (list(column) for column in zip(*rows, strict=True))
    return stock_table(products, variants, sizes, stores, quantities)


def _grid_rows(grid: StockGrid) -> set[Row]:
    return {tuple(row.values()) for row in grid.to_table().to_pylist()}


def _view_rows(data: RetailData) -> set[Row]:
    return {
        (level.product_id, level.variant_id, level.size, level.store_id, level.quantity)
        for product_id in data.products
        for level in data.inventory.levels(product_id)
    }


@pytest.fixture
async def filled(backend: str, tmp_path: Path, pg_schema: str) -> RetailStore:
    store = await open_backend(backend, tmp_path, pg_schema)
    await store.write(
        RetailBatch(products=[PLANTER, LANTERN, BENCH], stores=SHOPS, stock=_table(ROWS)),
        dataset=DataSet.OWN,
    )
    return store


async def test_every_stored_row_comes_back_in_the_grid(filled: RetailStore) -> None:
    try:
        grid = (await filled.load()).stock
    finally:
        await filled.close()
    assert _grid_rows(grid) == set(ROWS)
    assert grid.num_rows == len(ROWS)
    assert grid.quantity.dtype == np.int32
    assert grid.quantity.shape == (4, 3)  # 4 SKUs × 3 locations; the cells without a row say so
    assert int(np.count_nonzero(grid.quantity == NO_STOCK_ROW)) == 4 * 3 - len(ROWS)
    assert grid.totals() == {"planter/oak": 14, "lantern/brass": 7, "bench/teak": 2}


async def test_changes_on_the_loaded_view_match_a_fresh_load(filled: RetailStore) -> None:
    try:
        data = await load_data(filled)
        refresher = DataRefresher(filled, data, poll_s=0.05)
        assert data.inventory.available("planter/oak", store_id="NYC,5 Av") == 3
        assert ("60cm", "oak#60") in data.inventory.variants_in_stock("planter/oak")

        zero = [("planter/oak", "oak#60", "60cm", "NYC,5 Av", 0)]
        await filled.write(RetailBatch(stock=_table(zero)))
        assert await refresher.refresh()
        assert data.inventory.available("planter/oak", size="60cm") == 0
        assert all(size != "60cm" for size, _ in data.inventory.variants_in_stock("planter/oak"))

        wider = PLANTER.model_copy(
            update={"variants": [*PLANTER.variants, Variant(variant_id="oak#120", size="120cm")]}
        )
        harbour = Store(store_id="harbour 9", name="Harbour", lat=40.7, lon=-74.0)
        new_rows = [("planter/oak", "oak#120", "120cm", "harbour 9", 5), ("lantern/brass", None, "one", "harbour 9", 1)]
        await filled.write(RetailBatch(products=[wider], stores=[harbour], stock=_table(new_rows)))
        assert await refresher.refresh()
        assert data.inventory.available("planter/oak", store_id="harbour 9") == 5
        assert ("120cm", "oak#120") in data.inventory.variants_in_stock("planter/oak")
        assert data.resolve("oak#120") == "planter/oak"

        await filled.write(RetailBatch(delete_products=["lantern/brass"]))
        assert await refresher.refresh()
        assert data.inventory.available("lantern/brass") == 0 and not data.inventory.levels("lantern/brass")

        fresh = await load_data(filled)
    finally:
        await filled.close()
    expected = {*ROWS[1:], *zero, *new_rows[:1]} - {r for r in ROWS if r[0] == "lantern/brass"}
    assert _view_rows(data) == _view_rows(fresh) == expected
