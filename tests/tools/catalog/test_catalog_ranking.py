"""Filtered search ranks the unfiltered nearest first and lets Chroma filter only when too few pass:
the answers must be the ones Chroma's own filtered query gives, for broad and narrow filters alike."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from chromadb.api import ClientAPI

import tools.catalog.index as index_module
from benchmarks.catalog import generate_products
from tools.catalog import CatalogFilter, CatalogIndex, LexicalEmbedding

FILTERS = [
    CatalogFilter(),  # in stock: most products pass
    CatalogFilter(in_stock=False, max_price=150),
    CatalogFilter(categories=["socks"], max_price=15),  # narrow: too few among the nearest
    CatalogFilter(min_price=20, max_price=25, exclude_ids=["G0000007"]),
]
QUERIES = ["wireless headphones", "running shoes for the trail", "organic coffee beans", "wool hiking socks"]


@pytest.fixture
def big_index(fresh_client: Callable[[], ClientAPI]) -> CatalogIndex:
    index = CatalogIndex(fresh_client(), LexicalEmbedding(), "ranking")
    index.upsert(generate_products(400), lambda product_id: int(product_id[-1]) % 3)  # a third out of stock
    return index


def _chroma_filtered(index: CatalogIndex, monkeypatch: pytest.MonkeyPatch, call: Callable[[], list[str]]) -> list[str]:
    # Fetching one unfiltered hit never yields k, so every filtered call ends in Chroma's own filter.
    with monkeypatch.context() as patched:
        patched.setattr(index_module, "OVERFETCH", 0)
        patched.setattr(index_module, "MIN_FETCH", 1)
        return call()


def _passing_among_nearest(index: CatalogIndex, query: str, flt: CatalogFilter) -> int:
    nearest = index.search(query, CatalogFilter(in_stock=False), k=index_module.MIN_FETCH)
    return sum(
        (hit.in_stock or not flt.in_stock)
        and (not flt.categories or hit.category in flt.categories)
        and (flt.min_price is None or hit.price >= flt.min_price)
        and (flt.max_price is None or hit.price <= flt.max_price)
        and hit.product_id not in flt.exclude_ids
        for hit in nearest
    )


def test_filtered_search_answers_like_chromas_filter(big_index: CatalogIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    passing = []
    for flt in FILTERS:
        for query in QUERIES:

            def ask(query: str = query, flt: CatalogFilter = flt) -> list[str]:
                return [hit.product_id for hit in big_index.search(query, flt, k=10)]

            assert ask() == _chroma_filtered(big_index, monkeypatch, ask), (query, flt)
            passing.append(_passing_among_nearest(big_index, query, flt))
    # Both ways were taken: answered from the nearest alone, and handed to Chroma's filter.
    assert max(passing) >= 10 > min(passing)


def test_similar_answers_like_chromas_filter(big_index: CatalogIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    for product_id in ("G0000001", "G0000123", "G0000399"):
        for flt in FILTERS:

            def ask(product_id: str = product_id, flt: CatalogFilter = flt) -> list[str]:
                return [hit.product_id for hit in big_index.similar(product_id, flt, k=8)]

            found = ask()
            assert product_id not in found
            assert found == _chroma_filtered(big_index, monkeypatch, ask)
