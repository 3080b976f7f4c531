"""The one data view every path reads: catalog, variants, stock, stores, offers and product links, in memory.

RetailData(products, stores, offers, stock)     built once per worker from the store's snapshot
├── catalog: CatalogView                        products by id and category (links ride on each Product)
├── inventory: InventoryIndex                   the InventoryAdapter: stock as an int32 SKU × location matrix
├── offers: dict[str, Offer]                    the offer book the checker and verify read
├── resolve(id) -> group id                     a product is addressable by its group id or any variant id
└── apply(changes)                              edits every part in place, between requests

Rules, model tools, candidate sources and verify all hold these same objects, so a change applied here is
seen by the next read on every path: the hot path reads memory, never a query per candidate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

import pyarrow as pa

from nextbest.contracts import Offer, Product, StockLevel, Store
from nextbest.retail.interface import StockGrid

from .candidates.view import CatalogView
from .inventory import InventoryIndex

__all__ = ["DataChanges", "RetailData"]


class DataChanges(Protocol):
    """What one poll of the store hands over (`nextbest.retail.Changes` has this shape)."""

    @property
    def version(self) -> int: ...
    @property
    def products(self) -> Sequence[Product]: ...
    @property
    def deleted_products(self) -> Sequence[str]: ...
    @property
    def stores(self) -> Sequence[Store]: ...
    @property
    def deleted_stores(self) -> Sequence[str]: ...
    @property
    def offers(self) -> Sequence[Offer]: ...
    @property
    def deleted_offers(self) -> Sequence[str]: ...
    @property
    def stock(self) -> pa.Table: ...


class RetailData:
    """The worker's copy of the retailer's data at `version`; see the module docstring."""

    def __init__(
        self,
        products: Iterable[Product],
        stores: Iterable[Store],
        offers: Iterable[Offer],
        stock: StockGrid | pa.Table | Iterable[StockLevel],
        *,
        version: int = 0,
    ) -> None:
        self.version = version
        self.catalog = CatalogView({product.product_id: product for product in products})
        self.stores: dict[str, Store] = {store.store_id: store for store in stores}
        self.offers: dict[str, Offer] = {offer.offer_id: offer for offer in offers}
        self._variants: dict[str, str] = {}
        for product in self.catalog.products.values():
            self._index_variants(product)
        self.inventory = InventoryIndex(stock, self.stores)

    @property
    def products(self) -> Mapping[str, Product]:
        return self.catalog.products

    @property
    def stock_bytes(self) -> int:
        return self.inventory.matrix.nbytes

    def resolve(self, product_id: str) -> str:
        """The group id of a product or variant id; an unknown id comes back as it is."""
        return product_id if product_id in self.catalog else self._variants.get(product_id, product_id)

    def variant_size(self, variant_id: str) -> str | None:
        """The size of a variant id, when it names one."""
        product = self.catalog.get(self._variants.get(variant_id, ""))
        for variant in product.variants if product is not None else ():
            if variant.variant_id == variant_id:
                return variant.size
        return None

    def _index_variants(self, product: Product) -> None:
        for variant in product.variants:
            self._variants[variant.variant_id] = product.product_id

    def _drop_product(self, product_id: str) -> None:
        old = self.catalog.remove(product_id)
        if old is not None:
            for variant in old.variants:
                self._variants.pop(variant.variant_id, None)

    def replace(self, other: RetailData) -> None:
        """Hold exactly what `other` holds (the data set was replaced), editing this view's objects in place."""
        for product_id in list(self.catalog.products):
            self.catalog.remove(product_id)
        for product in other.products.values():
            self.catalog.upsert(product)
        self._variants = dict(other._variants)
        self.stores.clear()
        self.stores.update(other.stores)
        self.offers.clear()
        self.offers.update(other.offers)
        self.inventory.matrix = other.inventory.matrix
        self.version = other.version

    def apply(self, changes: DataChanges) -> None:
        """Apply one poll's changes in place. Synchronous, so no request sees half of them."""
        for product_id in changes.deleted_products:
            self._drop_product(product_id)
            self.inventory.matrix.drop_product(product_id)
        for product in changes.products:
            self._drop_product(product.product_id)
            self.catalog.upsert(product)
            self._index_variants(product)
        for store_id in changes.deleted_stores:
            self.stores.pop(store_id, None)
            self.inventory.matrix.drop_store(store_id)
        self.stores.update((store.store_id, store) for store in changes.stores)
        for offer_id in changes.deleted_offers:
            self.offers.pop(offer_id, None)
        self.offers.update((offer.offer_id, offer) for offer in changes.offers)
        self.inventory.matrix.apply(changes.stock)
        self.version = max(self.version, changes.version)
