"""An in-memory view of the product catalog: lookups by id and category, kept current by `upsert` / `remove`."""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence

from nextbest.contracts import Product

__all__ = ["CatalogView"]


class CatalogView:
    """Reads the `products` mapping it is given, and edits it in place when a change arrives."""

    def __init__(self, products: MutableMapping[str, Product]) -> None:
        self._products = products
        self._members: dict[str, set[str]] = {}
        for product in products.values():
            self._members.setdefault(product.category, set()).add(product.product_id)
        self._sorted: dict[str, tuple[Product, ...]] = {}

    def get(self, product_id: str) -> Product | None:
        return self._products.get(product_id)

    def in_category(self, category: str) -> Sequence[Product]:
        cached = self._sorted.get(category)
        if cached is None:
            ids = sorted(self._members.get(category, ()))
            cached = self._sorted[category] = tuple(self._products[pid] for pid in ids)
        return cached

    @property
    def categories(self) -> Sequence[str]:
        return sorted(category for category, members in self._members.items() if members)

    @property
    def products(self) -> MutableMapping[str, Product]:
        return self._products

    def upsert(self, product: Product) -> None:
        self.remove(product.product_id)
        self._products[product.product_id] = product
        self._members.setdefault(product.category, set()).add(product.product_id)
        self._sorted.pop(product.category, None)

    def remove(self, product_id: str) -> Product | None:
        old = self._products.pop(product_id, None)
        if old is not None:
            self._members.get(old.category, set()).discard(product_id)
            self._sorted.pop(old.category, None)
        return old

    def __contains__(self, product_id: object) -> bool:
        return product_id in self._products

    def __len__(self) -> int:
        return len(self._products)
