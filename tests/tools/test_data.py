"""The data view: variant ids resolve to groups, and changes applied in place are seen by every reader."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

from nextbest.contracts import Offer, Product, Store, Variant
from tools.data import RetailData

LAMP = Product(
    product_id="grp-lamp",
    title="Desk lamp",
    category="Lighting",
    price=40,
    sizes=["small", "large"],
    variants=[Variant(variant_id="sku-l-s", size="small"), Variant(variant_id="sku-l-l", size="large")],
)
RUG = Product(product_id="grp-rug", title="Wool rug", category="Floor", price=120)
SHOP = Store(store_id="st-9", name="Harbour", lat=10, lon=20)


def _stock(rows: list[tuple[str, str | None, str | None, str, int]]) -> pa.Table:
    names = ["product_id", "variant_id", "size", "store_id", "quantity"]
    return pa.table({name: [row[i] for row in rows] for i, name in enumerate(names)})


@dataclass
class _Changes:
    version: int
    products: list[Product] = field(default_factory=list)
    deleted_products: list[str] = field(default_factory=list)
    stores: list[Store] = field(default_factory=list)
    deleted_stores: list[str] = field(default_factory=list)
    offers: list[Offer] = field(default_factory=list)
    deleted_offers: list[str] = field(default_factory=list)
    stock: pa.Table = field(default_factory=lambda: _stock([]))


def _data() -> RetailData:
    stock = _stock(
        [
            ("grp-lamp", "sku-l-s", "small", "st-9", 3),
            ("grp-lamp", "sku-l-l", "large", "online", 2),
            ("grp-rug", None, None, "st-9", 1),
        ]
    )
    return RetailData([LAMP, RUG], [SHOP], [], stock, version=4)


def test_variant_ids_resolve_to_their_group() -> None:
    data = _data()
    assert [data.resolve(i) for i in ("sku-l-l", "grp-lamp", "nope")] == ["grp-lamp", "grp-lamp", "nope"]
    assert data.variant_size("sku-l-s") == "small"
    assert sorted(data.inventory.variants_in_stock("grp-lamp")) == [("large", "sku-l-l"), ("small", "sku-l-s")]
    assert data.inventory.variants_in_stock("grp-lamp", store_id="st-9") == [("small", "sku-l-s")]


def test_stock_rolls_up_by_size_and_store() -> None:
    inventory = _data().inventory
    assert inventory.available("grp-lamp") == 5
    assert inventory.available("grp-lamp", size="small", store_id="st-9") == 3
    assert inventory.available("grp-lamp", store_id="online") == 2


def test_a_stock_drop_to_zero_is_seen_by_every_reader_of_the_same_objects() -> None:
    data = _data()
    inventory, catalog = data.inventory, data.catalog  # what the tools hold
    data.apply(_Changes(version=5, stock=_stock([("grp-rug", None, None, "st-9", 0)])))
    assert inventory.available("grp-rug") == 0
    assert all(level.quantity == 0 for level in inventory.levels("grp-rug"))
    assert "grp-rug" in catalog and data.version == 5


def test_product_upsert_and_delete_edit_the_catalog_in_place() -> None:
    data = _data()
    catalog = data.catalog
    vase = Product(product_id="grp-vase", title="Vase", category="Lighting", price=9)
    data.apply(_Changes(version=6, products=[vase], deleted_products=["grp-lamp"]))
    assert [p.product_id for p in catalog.in_category("Lighting")] == ["grp-vase"]
    assert data.resolve("sku-l-s") == "sku-l-s"
    assert data.inventory.available("grp-lamp") == 0
