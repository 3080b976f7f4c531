"""What the index holds, kept in memory: each product's title, category, price and content hash.

Chroma ranks; this decides what a filter admits. Chroma's own `where` (and an `ids` allow-list) costs
more the more products it admits (100k products: one category 64 ms p50, `in_stock` alone 194 ms), while an
unfiltered nearest-neighbour query stays near 2 ms, so filters are judged here on the ranked hits, and the
count a filter admits (sorted prices per category, a binary search each) sizes how far to over-fetch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .models import CatalogFilter, CatalogHit

__all__ = ["Held", "Shelf"]


@dataclass(frozen=True, slots=True)
class Held:
    """One indexed product as the filter and the hit need it."""

    title: str
    category: str
    price: float
    content_hash: str


@dataclass(frozen=True, slots=True)
class _Column:
    """One category's products sorted by price, so a price range is two binary searches."""

    prices: NDArray[np.float64]
    ids: list[str]

    @classmethod
    def of(cls, pairs: list[tuple[float, str]]) -> _Column:
        pairs.sort()
        return cls(np.asarray([price for price, _ in pairs], dtype=np.float64), [pid for _, pid in pairs])


class Shelf:
    """Held products by id, with per-category sorted prices rebuilt lazily after a change."""

    def __init__(self, held: Mapping[str, Held] | None = None) -> None:
        self._held: dict[str, Held] = dict(held or {})
        self._columns: dict[str, _Column] | None = None

    def __len__(self) -> int:
        return len(self._held)

    def __contains__(self, product_id: object) -> bool:
        return product_id in self._held

    def get(self, product_id: str) -> Held | None:
        return self._held.get(product_id)

    def items(self) -> Iterable[tuple[str, Held]]:
        return self._held.items()

    def put(self, product_id: str, held: Held) -> None:
        self._held[product_id] = held
        self._columns = None

    def drop(self, product_ids: Iterable[str]) -> None:
        for product_id in product_ids:
            self._held.pop(product_id, None)
        self._columns = None

    def admitted(self, flt: CatalogFilter) -> int:
        """How many held products pass the filter's category and price bounds (stock and exclusions aside)."""
        return sum(stop - start for _ids, start, stop in self._ranges(flt))

    def admitted_ids(self, flt: CatalogFilter) -> list[str]:
        """The ids `admitted` counts."""
        return [product_id for ids, start, stop in self._ranges(flt) for product_id in ids[start:stop]]

    def _ranges(self, flt: CatalogFilter) -> Iterator[tuple[list[str], int, int]]:
        columns = self._by_category()
        low = -np.inf if flt.min_price is None else flt.min_price
        high = np.inf if flt.max_price is None else flt.max_price
        for category in sorted(set(flt.categories)) if flt.categories else sorted(columns):
            column = columns.get(category)
            if column is not None:
                start = int(np.searchsorted(column.prices, low, "left"))
                yield column.ids, start, int(np.searchsorted(column.prices, high, "right"))

    def _by_category(self) -> dict[str, _Column]:
        if self._columns is None:
            grouped: dict[str, list[tuple[float, str]]] = {}
            for product_id, held in self._held.items():
                grouped.setdefault(held.category, []).append((held.price, product_id))
            self._columns = {category: _Column.of(pairs) for category, pairs in grouped.items()}
        return self._columns

    def hits(
        self, ranked: Iterable[tuple[str, float]], flt: CatalogFilter, units: Callable[[str], int], k: int
    ) -> list[CatalogHit]:
        """The first `k` ranked (id, cosine distance) pairs the filter admits, judged on memory and live stock."""
        excluded = set(flt.exclude_ids)
        categories = set(flt.categories)
        found: list[CatalogHit] = []
        for product_id, distance in ranked:
            if len(found) == k:
                break
            held = self._held.get(product_id)
            if held is None or product_id in excluded or (categories and held.category not in categories):
                continue  # unknown here: written by another process since this one last read the index
            if (flt.min_price is not None and held.price < flt.min_price) or (
                flt.max_price is not None and held.price > flt.max_price
            ):
                continue
            in_stock = units(product_id) > 0
            if flt.in_stock and not in_stock:
                continue
            found.append(
                CatalogHit(
                    product_id=product_id,
                    title=held.title,
                    category=held.category,
                    price=held.price,
                    in_stock=in_stock,
                    score=max(0.0, min(1.0, 1.0 - distance)),
                )
            )
        return found
