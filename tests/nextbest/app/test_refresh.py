"""The refresher applies the store's changes to a worker's data view: a stock drop to 0, a new product, a delete."""

from __future__ import annotations

from pathlib import Path

from nextbest.app._refresh import DataRefresher, IndexWriteLock, data_from_snapshot
from nextbest.contracts import Product, Store, Variant
from nextbest.retail import DataSet, RetailBatch, stock_table
from nextbest.retail.sqlite_store import SqliteRetailStore

KAYAK = Product(
    product_id="kay-100",
    title="Sea kayak",
    category="Paddling",
    price=900,
    variants=[Variant(variant_id="kay-100-red", color="red"), Variant(variant_id="kay-100-blu", color="blue")],
)
DOCK = Store(store_id="dock-3", name="Dock three", lat=1, lon=2)


async def test_changes_reach_the_view_on_the_next_poll(tmp_path: Path) -> None:
    store = SqliteRetailStore(tmp_path / "retail.sqlite3")
    stock = stock_table(["kay-100"] * 2, ["kay-100-red", "kay-100-blu"], [None, None], ["dock-3"] * 2, [4, 1])
    await store.write(RetailBatch(products=[KAYAK], stores=[DOCK], stock=stock), dataset=DataSet.OWN)
    data = data_from_snapshot(await store.load())
    inventory, catalog = data.inventory, data.catalog
    refresher = DataRefresher(store, data, poll_s=0.05)
    assert inventory.available("kay-100") == 5 and data.resolve("kay-100-blu") == "kay-100"

    zero = stock_table(["kay-100"] * 2, ["kay-100-red", "kay-100-blu"], [None, None], ["dock-3"] * 2, [0, 0])
    await store.write(RetailBatch(stock=zero))
    assert await refresher.refresh()
    assert inventory.available("kay-100") == 0

    paddle = Product(product_id="pad-7", title="Carbon paddle", category="Paddling", price=200)
    await store.write(RetailBatch(products=[paddle], delete_products=["kay-100"]))
    assert await refresher.refresh()
    assert [p.product_id for p in catalog.in_category("Paddling")] == ["pad-7"]
    assert not await refresher.refresh()
    await store.close()


def test_one_process_holds_the_index_write_lock(tmp_path: Path) -> None:
    first, second = IndexWriteLock(tmp_path / "index.lock"), IndexWriteLock(tmp_path / "index.lock")
    assert first.held and not second.held
    first.release()
    third = IndexWriteLock(tmp_path / "index.lock")
    assert third.held
    second.release()
    third.release()
