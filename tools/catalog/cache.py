"""Recent catalog answers, kept briefly: the rules path asks Chroma the same questions again and again.

A filtered Chroma query costs ~4-5 ms of CPU on 1k products (the metadata filter, not the vector search),
and a session-intent decision asks two (`search_ids` for the query, `similar_ids` for the viewed product).
Popular queries and products repeat across customers, so a small LRU with a short TTL removes most of that
cost. The TTL bounds how long a write from another process (`nextbest catalog index`, a shared Chroma
server) can go unseen; within this process, `clear()` after writing.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Protocol

__all__ = ["CachedSearch", "Searcher"]


class Searcher(Protocol):
    """What the agent's rules path asks of the catalog (`agent.catalog_view.ProductSearch`)."""

    def search_ids(self, query: str, *, k: int, categories: Sequence[str] = ()) -> list[str]: ...

    def similar_ids(self, product_id: str, *, k: int) -> list[str]: ...


class CachedSearch:
    """A `Searcher` that remembers up to `size` answers for `ttl_s` seconds each."""

    def __init__(
        self,
        searcher: Searcher,
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
        self._answers: OrderedDict[Hashable, tuple[float, tuple[str, ...]]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def search_ids(self, query: str, *, k: int, categories: Sequence[str] = ()) -> list[str]:
        key = ("search", query, k, tuple(categories))
        return self._answer(key, lambda: self._searcher.search_ids(query, k=k, categories=categories))

    def similar_ids(self, product_id: str, *, k: int) -> list[str]:
        return self._answer(("similar", product_id, k), lambda: self._searcher.similar_ids(product_id, k=k))

    def clear(self) -> None:
        """Forget every answer, e.g. after this process changed the index."""
        self._answers.clear()

    def _answer(self, key: Hashable, ask: Callable[[], list[str]]) -> list[str]:
        now = self._monotonic()
        held = self._answers.get(key)
        if held is not None and held[0] > now:
            self._answers.move_to_end(key)
            self.hits += 1
            return list(held[1])
        self.misses += 1
        ids = ask()
        self._answers[key] = (now + self._ttl_s, tuple(ids))
        self._answers.move_to_end(key)
        if len(self._answers) > self._size:
            self._answers.popitem(last=False)
        return list(ids)
