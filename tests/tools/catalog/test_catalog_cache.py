"""CachedSearch: answers are reused until they age out, the oldest go first, and clear() forgets."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from tools.catalog import CachedSearch


class CountingSearch:
    def __init__(self) -> None:
        self.asked: list[tuple[str, ...]] = []

    def search_ids(self, query: str, *, k: int, categories: Sequence[str] = ()) -> list[str]:
        self.asked.append(("search", query, str(k), *categories))
        return [f"{query}-{n}" for n in range(k)]

    def similar_ids(self, product_id: str, *, k: int) -> list[str]:
        self.asked.append(("similar", product_id, str(k)))
        return [f"like-{product_id}-{n}" for n in range(k)]


class Ticks:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_repeated_question_is_answered_once_until_the_ttl_passes() -> None:
    inner, ticks = CountingSearch(), Ticks()
    cache = CachedSearch(inner, size=8, ttl_s=60, monotonic=ticks)
    first = cache.search_ids("camera", k=2)
    first.append("caller's own")  # a caller mutating its list must not change what others get
    assert cache.search_ids("camera", k=2) == ["camera-0", "camera-1"]
    assert cache.similar_ids("P1", k=1) == cache.similar_ids("P1", k=1) == ["like-P1-0"]
    assert len(inner.asked) == 2
    assert (cache.hits, cache.misses) == (2, 2)
    ticks.now += 60
    cache.search_ids("camera", k=2)
    assert len(inner.asked) == 3


def test_every_argument_is_part_of_the_question() -> None:
    inner = CountingSearch()
    cache = CachedSearch(inner, size=8)
    cache.search_ids("camera", k=2)
    cache.search_ids("camera", k=3)
    cache.search_ids("camera", k=2, categories=["photo"])
    cache.similar_ids("camera", k=2)
    assert len(inner.asked) == 4


def test_the_least_recently_used_answer_is_dropped_first_and_clear_forgets_all() -> None:
    inner = CountingSearch()
    cache = CachedSearch(inner, size=2)
    cache.similar_ids("a", k=1)
    cache.similar_ids("b", k=1)
    cache.similar_ids("a", k=1)  # a is now the most recent
    cache.similar_ids("c", k=1)  # drops b
    cache.similar_ids("a", k=1)
    assert [asked[1] for asked in inner.asked] == ["a", "b", "c"]
    cache.similar_ids("b", k=1)
    cache.clear()
    cache.similar_ids("a", k=1)
    assert [asked[1] for asked in inner.asked] == ["a", "b", "c", "b", "a"]


@pytest.mark.parametrize(("size", "ttl_s"), [(0, 60.0), (8, 0.0)])
def test_a_cache_that_could_hold_nothing_is_refused(size: int, ttl_s: float) -> None:
    with pytest.raises(ValueError, match="size >= 1 and ttl_s > 0"):
        CachedSearch(CountingSearch(), size=size, ttl_s=ttl_s)
