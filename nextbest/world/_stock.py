"""Inventory per product, size and location, with the gaps guardrails are meant to catch."""

from __future__ import annotations

from collections.abc import Mapping
from random import Random

from nextbest.contracts import Product, StockLevel, Store

from ._stores import ONLINE_STORE_ID

SOLD_OUT_PRODUCTS = 12
_ZERO_SHARE = 0.08
# Edge sizes sell through first, the way real size curves do.
_EDGE_ZERO_SHARE = 0.2
_STORES_PER_PRODUCT = (6, 14)


def build_stock(rng: Random, products: Mapping[str, Product], stores: Mapping[str, Store]) -> list[StockLevel]:
    """Stock rows sorted by product, store and size; each product is carried online and in some stores."""
    physical = sorted(store_id for store_id in stores if store_id != ONLINE_STORE_ID)
    sold_out = set(rng.sample(sorted(products), SOLD_OUT_PRODUCTS))
    rows: list[StockLevel] = []
    for product_id in sorted(products):
        product = products[product_id]
        carried = sorted(rng.sample(physical, rng.randint(*_STORES_PER_PRODUCT)))
        sizes: list[str | None] = list(product.sizes) or [None]
        for store_id in [*carried, ONLINE_STORE_ID]:
            for index, size in enumerate(sizes):
                edge = len(sizes) > 2 and index in (0, len(sizes) - 1)
                quantity = 0 if product_id in sold_out else _quantity(rng, product, store_id, edge=edge)
                rows.append(StockLevel(product_id=product_id, size=size, store_id=store_id, quantity=quantity))
    return rows


def _quantity(rng: Random, product: Product, store_id: str, *, edge: bool) -> int:
    if rng.random() < (_EDGE_ZERO_SHARE if edge else _ZERO_SHARE):
        return 0
    # Shelves hold fewer units of expensive things; the warehouse holds many more of everything.
    ceiling = 4 if product.price >= 500 else 12 if product.price >= 100 else 30
    if store_id == ONLINE_STORE_ID:
        ceiling *= 8
    return rng.randint(1, ceiling)
