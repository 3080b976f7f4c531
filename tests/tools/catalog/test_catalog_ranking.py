"""Filtered search ranks unfiltered in Chroma and filters in memory (stock read live): its answers must be
the ones Chroma's own filtered query gives, on every road (exact ranking of a few, over-fetch, a growing fetch)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from chromadb.api import ClientAPI

import tools.catalog.index as index_module
from benchmarks.catalog import generate_products
from tools.catalog import CatalogFilter, CatalogIndex, LexicalEmbedding
from tools.catalog.index import EXACT_AT_MOST

COUNT = 400
FILTERS = [
    CatalogFilter(),  # in stock: most products pass
    CatalogFilter(in_stock=False, max_price=150),
    CatalogFilter(categories=["socks"], max_price=15),  # a few: ranked exactly
    CatalogFilter(categories=["socks", "apparel"], min_price=10),
    CatalogFilter(min_price=20, max_price=25, exclude_ids=["G0000007"]),
]
QUERIES = ["wireless headphones", "running shoes for the trail", "organic coffee beans", "wool hiking socks"]


def _a_third_out(product_id: str) -> int:
    return int(product_id[-1]) % 3


def _one_in_ten(product_id: str) -> int:
    return int(product_id.endswith("7"))


@pytest.fixture
def client(fresh_client: Callable[[], ClientAPI]) -> ClientAPI:
    return fresh_client()


def _index(client: ClientAPI, name: str, units: Callable[[str], int]) -> CatalogIndex:
    index = CatalogIndex(client, LexicalEmbedding(), name)
    index.upsert(generate_products(COUNT), units)
    return index


def _chroma_filtered(
    client: ClientAPI, name: str, units: Callable[[str], int], flt: CatalogFilter, k: int, **query: Any
) -> list[str]:
    """The reference: Chroma's own `where` on category and price, and an `ids` allow-list for stock."""
    clauses: list[dict[str, Any]] = []
    if flt.categories:
        clauses.append({"category": {"$in": flt.categories}})
    if flt.min_price is not None:
        clauses.append({"price": {"$gte": flt.min_price}})
    if flt.max_price is not None:
        clauses.append({"price": {"$lte": flt.max_price}})
    where = None if not clauses else clauses[0] if len(clauses) == 1 else {"$and": clauses}
    allowed = [
        product.product_id
        for product in generate_products(COUNT)
        if (units(product.product_id) > 0 or not flt.in_stock) and product.product_id not in flt.exclude_ids
    ]
    found = client.get_collection(name).query(n_results=k, where=where, ids=allowed, include=[], **query)
    return found["ids"][0]


@pytest.mark.parametrize("units", [_a_third_out, _one_in_ten])
def test_filtered_search_answers_like_chromas_filter(client: ClientAPI, units: Callable[[str], int]) -> None:
    index = _index(client, "ranking", units)
    for flt in FILTERS:
        for query in QUERIES:
            hits = index.search(query, flt, k=10)
            assert [hit.product_id for hit in hits] == _chroma_filtered(
                client, "ranking", units, flt, 10, query_texts=[query]
            ), (query, flt)
            assert all(units(hit.product_id) > 0 for hit in hits if flt.in_stock)
            assert all(hit.in_stock == (units(hit.product_id) > 0) for hit in hits)


def test_similar_answers_like_chromas_filter(client: ClientAPI) -> None:
    index = _index(client, "ranking", _a_third_out)
    vectors = client.get_collection("ranking").get(ids=["G0000001", "G0000123", "G0000399"], include=["embeddings"])
    for product_id, vector in zip(vectors["ids"], vectors["embeddings"], strict=True):
        for flt in FILTERS:
            found = [hit.product_id for hit in index.similar(product_id, flt, k=8)]
            assert product_id not in found
            without = flt.model_copy(update={"exclude_ids": [*flt.exclude_ids, product_id]})
            assert found == _chroma_filtered(client, "ranking", _a_third_out, without, 8, query_embeddings=[vector])


def _count_queries(index: CatalogIndex) -> list[int]:
    """Record the `n_results` of every nearest-neighbour query the index sends to Chroma."""
    asked: list[int] = []
    collection = index._collection  # counting Chroma's queries is the point
    original = collection.query

    def counting(**kwargs: Any) -> Any:
        asked.append(kwargs["n_results"])
        return original(**kwargs)

    collection.query = counting  # type: ignore[method-assign]
    return asked


def test_the_filters_take_every_road(client: ClientAPI) -> None:
    """The tests above must reach each path: exact ranking, one over-fetch, and a fetch that grows."""
    index = _index(client, "ranking", _a_third_out)
    asked = _count_queries(index)
    assert len(index.search("wool socks", FILTERS[2], k=10)) > 0
    assert asked == []  # at most EXACT_AT_MOST admitted: their vectors ranked exactly, no query
    index.search("wool socks", FILTERS[0], k=10)
    assert len(asked) == 1
    thin = _index(client, "thin", _one_in_ten)
    thin_asked = _count_queries(thin)
    assert len(thin.search("wool socks", CatalogFilter(), k=10)) == 10
    assert len(thin_asked) >= 2
    assert thin_asked == sorted(thin_asked)  # the fetch grew
    assert EXACT_AT_MOST < COUNT


def test_a_fetch_past_its_bound_hands_category_and_price_to_chroma(
    client: ClientAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = _index(client, "ranking", _one_in_ten)
    monkeypatch.setattr(index_module, "FETCH_AT_MOST", 1)  # every fetched road ends in Chroma's `where`
    for flt in FILTERS:
        hits = index.search("wool hiking socks", flt, k=10)
        assert [hit.product_id for hit in hits] == _chroma_filtered(
            client, "ranking", _one_in_ten, flt, 10, query_texts=["wool hiking socks"]
        ), flt
