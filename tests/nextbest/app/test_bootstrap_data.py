"""open_runtime's data comes from the retail store: an empty data dir starts with the demo, moved to the load day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from nextbest.app.bootstrap import open_retail_data
from nextbest.clock import FixedClock
from nextbest.contracts import Product
from nextbest.imports import import_demo
from nextbest.retail import DataSet, RetailBatch
from nextbest.retail.sqlite_store import SqliteRetailStore
from nextbest.settings import Settings
from nextbest.world import WORLD_AS_OF, load_world


async def test_an_empty_data_dir_gets_the_demo_with_offer_windows_moved_to_today(tmp_path: Path) -> None:
    today = datetime(2027, 6, 9, 12, tzinfo=UTC)
    store, world = await open_retail_data(Settings(data_dir=tmp_path, database_url=None), FixedClock(today))
    await store.close()
    demo = load_world()
    assert set(world.products) == set(demo.products)
    assert sum(world.inventory.available(p) for p in demo.products) == sum(level.quantity for level in demo.stock)
    shift = timedelta(days=(today.date() - WORLD_AS_OF.date()).days)
    for offer_id, offer in demo.offers.items():
        moved = world.offers[offer_id].eligibility
        if offer.eligibility.valid_until is not None:
            assert moved.valid_until == offer.eligibility.valid_until + shift
        if offer.eligibility.valid_from is not None:
            assert moved.valid_from == offer.eligibility.valid_from + shift


async def test_the_demo_on_its_own_day_is_the_generated_world(tmp_path: Path) -> None:
    store = SqliteRetailStore(tmp_path / "retail.sqlite3")
    try:
        await import_demo(store, WORLD_AS_OF.date())
        snapshot = await store.load()
    finally:
        await store.close()
    demo = load_world()
    assert snapshot.offers == dict(demo.offers)
    assert snapshot.products == dict(demo.products)
    assert snapshot.demo_today == WORLD_AS_OF.date()


async def test_a_store_with_own_data_never_gets_the_demo(tmp_path: Path) -> None:
    store = SqliteRetailStore(tmp_path / "retail.sqlite3")
    own = Product(product_id="G77812", title="Bypass pruner", category="Garden", price=19.5)
    await store.write(RetailBatch(products=[own]), dataset=DataSet.OWN)
    await store.close()
    store, world = await open_retail_data(Settings(data_dir=tmp_path, database_url=None), FixedClock(WORLD_AS_OF))
    await store.close()
    assert list(world.products) == ["G77812"]
    assert world.offers == {} and world.inventory.available("G77812") == 0
