"""An in-memory view of the product catalog: lookups by id and category, built once per catalog."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence

from nextbest.contracts import Product

__all__ = ["CatalogView"]


class CatalogView:
    def __init__(self, products: Mapping[str, Product]) -> None:
        self._products = products
        by_category: dict[str, list[Product]] = defaultdict(list)
        for product in products.values():
            by_category[product.category].append(product)
        self._by_category = {
            category: sorted(items, key=lambda item: item.product_id) for category, items in by_category.items()
        }

    def get(self, product_id: str) -> Product | None:
        return self._products.get(product_id)

    def in_category(self, category: str) -> Sequence[Product]:
        return self._by_category.get(category, ())

    @property
    def categories(self) -> Sequence[str]:
        return sorted(self._by_category)

    def __contains__(self, product_id: object) -> bool:
        return product_id in self._products
