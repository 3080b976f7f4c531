"""The one search protocol: what every user of catalog retrieval asks of it.

`CatalogIndex` (Chroma) satisfies it, so do `CachedSearch` wrapped around any of them and a test fake.
The rules path wants ids only; `search_ids` and `similar_ids` read them off the hits.
"""

from __future__ import annotations

from typing import Protocol

from nextbest.errors import NotFoundError

from .models import CatalogFilter, CatalogHit

__all__ = ["IN_STOCK", "CatalogSearch", "search_ids", "similar_ids"]

IN_STOCK = CatalogFilter()
"""The default filter: in-stock products of every category."""


class CatalogSearch(Protocol):
    """Products by text or by example, best first, among those the filter admits."""

    def search(self, query: str, flt: CatalogFilter, k: int = 10) -> list[CatalogHit]:
        """The `k` products closest to a free-text query."""
        ...

    def similar(self, product_id: str, flt: CatalogFilter, k: int = 10) -> list[CatalogHit]:
        """The `k` products closest to `product_id`, never itself; NotFoundError when it is not indexed."""
        ...


def search_ids(search: CatalogSearch, query: str, *, k: int, flt: CatalogFilter = IN_STOCK) -> list[str]:
    """In-stock product ids for `query`, best first."""
    return [hit.product_id for hit in search.search(query, flt, k)]


def similar_ids(search: CatalogSearch, product_id: str, *, k: int, flt: CatalogFilter = IN_STOCK) -> list[str]:
    """In-stock ids like `product_id`, best first; empty when it is not indexed."""
    try:
        return [hit.product_id for hit in search.similar(product_id, flt, k)]
    except NotFoundError:
        return []
