"""Recent catalog answers, kept briefly: the rules path asks Chroma the same questions again and again.

A filtered Chroma query costs ~4-5 ms of CPU on 1k products (the metadata filter, not the vector search),
and a session-intent decision asks two (`search` for the query, `similar` for the viewed product).
Popular queries and products repeat across customers, so a small LRU with a short TTL removes most of that
cost. The TTL bounds how long a write from another process (`nextbest catalog index`, a shared Chroma
server) can go unseen; within this process, `clear()` after writing.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

from .models import CatalogFilter, CatalogHit
from .search import CatalogSearch

__all__ = ["CachedSearch"]


def _filter_key(flt: CatalogFilter) -> Hashable:
    return (flt.in_stock, tuple(flt.categories), flt.min_price, flt.max_price, tuple(flt.exclude_ids))


class CachedSearch:
    """A `CatalogSearch` that remembers up to `size` answers for `ttl_s` seconds each.

    A `similar` call for an unindexed product raises NotFoundError each time; that answer is not kept.
    """

    def __init__(
        self,
        searcher: CatalogSearch,
        *,
        size: int = 4096,
        ttl_s: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if size < 1 or ttl_s <= 0:
            raise ValueError(f"a cache needs size >= 1 and ttl_s > 0, got size={size} ttl_s={ttl_s}")
        self._searcher = searcher
        self._size = size
        self._ttl_s = ttl_s
        self._monotonic = monotonic
        self._answers: OrderedDict[Hashable, tuple[float, tuple[CatalogHit, ...]]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def search(self, query: str, flt: CatalogFilter, k: int = 10) -> list[CatalogHit]:
        key = ("search", query, _filter_key(flt), k)
        return self._answer(key, lambda: self._searcher.search(query, flt, k))

    def similar(self, product_id: str, flt: CatalogFilter, k: int = 10) -> list[CatalogHit]:
        key = ("similar", product_id, _filter_key(flt), k)
        return self._answer(key, lambda: self._searcher.similar(product_id, flt, k))

    def clear(self) -> None:
        """Forget every answer, e.g. after this process changed the index."""
        self._answers.clear()

    def _answer(self, key: Hashable, ask: Callable[[], list[CatalogHit]]) -> list[CatalogHit]:
        now = self._monotonic()
        held = self._answers.get(key)
        if held is not None and held[0] > now:
            self._answers.move_to_end(key)
            self.hits += 1
            return list(held[1])
        self.misses += 1
        hits = tuple(ask())
        self._answers[key] = (now + self._ttl_s, hits)
        self._answers.move_to_end(key)
        if len(self._answers) > self._size:
            self._answers.popitem(last=False)
        return list(hits)
