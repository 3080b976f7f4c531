"""CachedSearch: answers are reused until they age out, the oldest go first, and clear() forgets."""

from __future__ import annotations

import pytest

from nextbest.errors import NotFoundError
from tools.catalog import IN_STOCK, CachedSearch, CatalogFilter, CatalogHit, search_ids, similar_ids


def _hit(product_id: str) -> CatalogHit:
    return CatalogHit(product_id=product_id, title=product_id, category="c", price=1, in_stock=True, score=0.5)


class CountingSearch:
    def __init__(self) -> None:
        self.asked: list[tuple[str, ...]] = []

    def search(self, query: str, flt: CatalogFilter, k: int = 10) -> list[CatalogHit]:
        self.asked.append(("search", query, str(k), *flt.categories))
        return [_hit(f"{query}-{n}") for n in range(k)]

    def similar(self, product_id: str, flt: CatalogFilter, k: int = 10) -> list[CatalogHit]:
        self.asked.append(("similar", product_id, str(k)))
        if product_id == "unknown":
            raise NotFoundError("product", product_id)
        return [_hit(f"like-{product_id}-{n}") for n in range(k)]


class Ticks:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_repeated_question_is_answered_once_until_the_ttl_passes() -> None:
    inner, ticks = CountingSearch(), Ticks()
    cache = CachedSearch(inner, size=8, ttl_s=60, monotonic=ticks)
    first = cache.search("camera", IN_STOCK, k=2)
    first.append(_hit("caller's own"))  # a caller mutating its list must not change what others get
    assert search_ids(cache, "camera", k=2) == ["camera-0", "camera-1"]
    assert similar_ids(cache, "P1", k=1) == similar_ids(cache, "P1", k=1) == ["like-P1-0"]
    assert len(inner.asked) == 2
    assert (cache.hits, cache.misses) == (2, 2)
    ticks.now += 60
    search_ids(cache, "camera", k=2)
    assert len(inner.asked) == 3


def test_every_argument_is_part_of_the_question() -> None:
    inner = CountingSearch()
    cache = CachedSearch(inner, size=8)
    search_ids(cache, "camera", k=2)
    search_ids(cache, "camera", k=3)
    search_ids(cache, "camera", k=2, flt=CatalogFilter(categories=["photo"]))
    search_ids(cache, "camera", k=2, flt=CatalogFilter(in_stock=False))
    search_ids(cache, "camera", k=2, flt=CatalogFilter(max_price=10))
    similar_ids(cache, "camera", k=2)
    assert len(inner.asked) == 6
    search_ids(cache, "camera", k=2, flt=CatalogFilter(categories=["photo"]))  # an equal filter is the same question
    assert len(inner.asked) == 6


def test_an_unindexed_product_is_not_found_every_time_and_never_kept() -> None:
    inner = CountingSearch()
    cache = CachedSearch(inner, size=8)
    assert similar_ids(cache, "unknown", k=2) == similar_ids(cache, "unknown", k=2) == []
    with pytest.raises(NotFoundError):
        cache.similar("unknown", IN_STOCK, k=2)
    assert len(inner.asked) == 3


def test_the_least_recently_used_answer_is_dropped_first_and_clear_forgets_all() -> None:
    inner = CountingSearch()
    cache = CachedSearch(inner, size=2)
    similar_ids(cache, "a", k=1)
    similar_ids(cache, "b", k=1)
    similar_ids(cache, "a", k=1)  # a is now the most recent
    similar_ids(cache, "c", k=1)  # drops b
    similar_ids(cache, "a", k=1)
    assert [asked[1] for asked in inner.asked] == ["a", "b", "c"]
    similar_ids(cache, "b", k=1)
    cache.clear()
    similar_ids(cache, "a", k=1)
    assert [asked[1] for asked in inner.asked] == ["a", "b", "c", "b", "a"]


@pytest.mark.parametrize(("size", "ttl_s"), [(0, 60.0), (8, 0.0)])
def test_a_cache_that_could_hold_nothing_is_refused(size: int, ttl_s: float) -> None:
    with pytest.raises(ValueError, match="size >= 1 and ttl_s > 0"):
        CachedSearch(CountingSearch(), size=size, ttl_s=ttl_s)
