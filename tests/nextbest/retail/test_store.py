"""The retail store: idempotent upserts, versions and changes, links, demo replacement, snapshots under writes."""

from __future__ import annotations

import asyncio
import random
import string
from pathlib import Path

import pyarrow as pa
import pytest

from nextbest.contracts import LinkKind, Offer, Product, ProductLink, Store, Variant
from nextbest.errors import StoreError
from nextbest.retail import DataSet, RetailBatch, RetailStore, stock_table

from .conftest import open_backend


def _code(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(n))


def garden_products(count: int, seed: int = 3) -> list[Product]:
    """Garden tools with 2 or 3 variants each, ids shaped unlike the demo's."""
    rng = random.Random(seed)
    kinds = [("Garden", "Pruners"), ("Garden", "Hoses"), ("Tools", "Spades")]
    products = []
    for n in range(count):
        category, sub = rng.choice(kinds)
        group = f"G{77000 + n}"
        variants = [
            Variant(variant_id=f"SKU-{_code(rng, 4)}-{k:02d}", size=size, price=round(rng.uniform(5, 90), 2))
            for k, size in enumerate(rng.sample(["S", "M", "L"], rng.randint(2, 3)))
        ]
        products.append(
            Product(
                product_id=group,
                title=f"{sub} {_code(rng, 3)}",
                category=category,
                subcategory=sub,
                product_type=f"{category} > {sub}",
                price=variants[0].price or 1.0,
                sizes=[v.size for v in variants if v.size],
                variants=variants,
            )
        )
    return products


def stores(count: int) -> list[Store]:
    return [Store(store_id=f"LDN-{n:02d}", name=f"London {n}", lat=51.5, lon=-0.1 + n / 100) for n in range(count)]


def stock_for(products: list[Product], shops: list[Store], quantity: int = 4) -> pa.Table:
    rows = [(p.product_id, v.variant_id, v.size, s.store_id) for p in products for v in p.variants for s in shops]
    return stock_table(
        [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows], [quantity] * len(rows)
    )


async def test_a_reimport_changes_nothing(store: RetailStore) -> None:
    products, shops = garden_products(12), stores(3)
    batch = RetailBatch(products=products, stores=shops, stock=stock_for(products, shops))
    first = await store.write(batch, dataset=DataSet.OWN)
    assert first.count("products").upserted == 12
    assert first.count("stock").upserted == sum(len(p.variants) for p in products) * 3
    again = await store.write(batch, dataset=DataSet.OWN)
    assert again.changed == 0
    assert again.count("products").unchanged == 12
    assert again.version == first.version == await store.version()
    assert (await store.changes_since(first.version)).empty


async def test_changes_since_names_what_changed(store: RetailStore) -> None:
    products, shops = garden_products(6), stores(2)
    first = await store.write(RetailBatch(products=products, stores=shops, stock=stock_for(products, shops)))
    edited = products[0].model_copy(update={"title": "Renamed pruner"})
    target = products[1].variants[0]
    one_row = stock_table([products[1].product_id], [target.variant_id], [target.size], [shops[0].store_id], [0])
    second = await store.write(
        RetailBatch(products=[edited, *products[2:]], stock=one_row, delete_products=[products[5].product_id])
    )
    assert second.version == first.version + 1
    changes = await store.changes_since(first.version)
    assert [p.product_id for p in changes.products] == [edited.product_id]
    assert changes.products[0].title == "Renamed pruner"
    assert changes.deleted_products == [products[5].product_id]
    assert changes.stock.to_pylist() == [
        {
            "product_id": products[1].product_id,
            "variant_id": target.variant_id,
            "size": target.size,
            "store_id": shops[0].store_id,
            "quantity": 0,
        }
    ]
    snapshot = await store.load()
    assert products[5].product_id not in snapshot.products
    assert products[5].product_id not in set(snapshot.stock.product_ids)
    assert (await store.changes_since(second.version)).empty


async def test_a_product_is_addressable_by_any_variant(store: RetailStore) -> None:
    products = garden_products(4)
    await store.write(RetailBatch(products=products))
    ids = await store.product_ids()
    for product in products:
        assert ids[product.product_id] == product.product_id
        assert all(ids[v.variant_id] == product.product_id for v in product.variants)


async def test_links_replace_and_survive_a_product_reimport(store: RetailStore) -> None:
    products = garden_products(5)
    await store.write(RetailBatch(products=products))
    a, b, c = (p.product_id for p in products[:3])
    links = [
        ProductLink(product_id=a, linked_id=c, kind=LinkKind.BOUGHT_TOGETHER, score=3.0, support=4),
        ProductLink(product_id=a, linked_id=b, kind=LinkKind.BOUGHT_TOGETHER, score=1.5, support=2),
    ]
    await store.write(RetailBatch(links=links))
    assert (await store.load()).products[a].bought_together == [c, b]
    await store.write(RetailBatch(products=products))  # a feed carries no links: the computed ones stay
    assert (await store.load()).products[a].bought_together == [c, b]
    await store.write(RetailBatch(links=[], link_kinds=[LinkKind.BOUGHT_TOGETHER.value]))
    assert (await store.load()).products[a].bought_together == []


async def test_the_first_real_import_drops_the_demo(store: RetailStore) -> None:
    demo_products, demo_shops = garden_products(3, seed=9), stores(2)
    offer = Offer(offer_id="demo-offer", title="Demo", pool="geo")
    demo = await store.write(
        RetailBatch(
            products=demo_products, stores=demo_shops, offers=[offer], stock=stock_for(demo_products, demo_shops)
        ),
        dataset=DataSet.DEMO,
    )
    own = [p.model_copy(update={"product_id": f"OWN-{n}", "variants": []}) for n, p in enumerate(garden_products(2))]
    result = await store.write(RetailBatch(products=own), dataset=DataSet.OWN)
    assert result.replaced_demo
    snapshot = await store.load()
    assert set(snapshot.products) == {"OWN-0", "OWN-1"}
    assert snapshot.stores == {} and snapshot.offers == {} and snapshot.stock.num_rows == 0
    assert snapshot.dataset is DataSet.OWN
    assert (await store.changes_since(demo.version)).reset
    with pytest.raises(StoreError, match="own data"):
        await store.write(RetailBatch(products=demo_products), dataset=DataSet.DEMO)


async def test_a_failed_write_changes_nothing(store: RetailStore) -> None:
    products = garden_products(3)
    await store.write(RetailBatch(products=products))
    before = await store.version()
    unreadable = pa.table(
        {"product_id": ["G1"], "variant_id": [None], "size": [None], "store_id": ["LDN-00"], "quantity": ["many"]}
    )  # the stock fails after the stores were written
    with pytest.raises(pa.ArrowInvalid):
        await store.write(RetailBatch(stores=stores(1), stock=unreadable))
    assert await store.version() == before
    assert await store.store_ids() == set()


async def test_a_reader_never_sees_half_a_write(backend: str, tmp_path: Path, pg_schema: str) -> None:
    writer = await open_backend(backend, tmp_path, pg_schema)
    reader = await open_backend(backend, tmp_path, pg_schema)
    try:
        products, shops = garden_products(40), stores(5)
        per_write = sum(len(p.variants) for p in products) * len(shops)
        seen: list[tuple[int, int]] = []

        async def read_until_done(done: asyncio.Event) -> None:
            while not done.is_set() or not seen or seen[-1][0] < 3:
                snapshot = await reader.load()
                seen.append((snapshot.version, snapshot.stock.num_rows))
                await asyncio.sleep(0)
                if len(seen) > 10_000:
                    break

        done = asyncio.Event()
        task = asyncio.create_task(read_until_done(done))
        for quantity in (1, 2, 3):
            await writer.write(RetailBatch(products=products, stores=shops, stock=stock_for(products, shops, quantity)))
        done.set()
        await task
        assert seen[-1] == (3, per_write)
        assert all(rows in (0, per_write) for _, rows in seen)
        quantities = set((await reader.load()).stock.to_table()["quantity"].to_pylist())
        assert quantities == {3}
    finally:
        await writer.close()
        await reader.close()
