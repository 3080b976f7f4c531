"""CatalogIndex over embedded Chroma with the lexical embedding: indexing, filters, search, similar."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from chromadb.api import ClientAPI

from nextbest.contracts import Product
from nextbest.errors import NotFoundError, StoreError
from tools.catalog import CatalogFilter, CatalogIndex, LexicalEmbedding, search_ids, similar_ids

EVERYTHING = CatalogFilter(in_stock=False)


def test_first_upsert_adds_every_product(
    client: ClientAPI, collection: str, catalog: list[Product], stock: dict[str, int]
) -> None:
    index = CatalogIndex(client, LexicalEmbedding(), collection)
    calls: list[tuple[int, int]] = []

    stats = index.upsert(catalog, stock.__getitem__, progress=lambda done, total: calls.append((done, total)))

    assert (stats.added, stats.updated, stats.unchanged, stats.removed) == (len(catalog), 0, 0, 0)
    assert index.count() == len(catalog)
    assert calls[0] == (0, len(catalog))
    assert calls[-1] == (len(catalog), len(catalog))


def test_second_upsert_changes_nothing(index: CatalogIndex, catalog: list[Product], stock: dict[str, int]) -> None:
    stats = index.upsert(catalog, stock.__getitem__)

    assert (stats.added, stats.updated, stats.removed) == (0, 0, 0)
    assert stats.unchanged == len(catalog)
    assert stats.embedded == 0


def test_changing_one_product_re_embeds_only_it(
    index: CatalogIndex, catalog: list[Product], stock: dict[str, int]
) -> None:
    catalog[0].title = "Nordhem Glacier Down Jacket"
    embedded: list[int] = []

    stats = index.upsert(catalog, stock.__getitem__, progress=lambda _done, total: embedded.append(total))

    assert (stats.added, stats.updated, stats.unchanged) == (0, 1, len(catalog) - 1)
    assert set(embedded) == {1}
    hit = index.search("glacier down jacket", EVERYTHING, k=1)[0]
    assert (hit.product_id, hit.title) == ("P01", "Nordhem Glacier Down Jacket")


def test_a_price_change_counts_as_an_update(index: CatalogIndex, catalog: list[Product], stock: dict[str, int]) -> None:
    catalog[3].price = 29.99

    stats = index.upsert(catalog, stock.__getitem__)

    assert stats.updated == 1
    assert index.search("sd card", CatalogFilter(max_price=30), k=1)[0].product_id == "P04"


def test_products_gone_from_the_catalog_are_removed(
    index: CatalogIndex, catalog: list[Product], stock: dict[str, int]
) -> None:
    stats = index.upsert(catalog[1:], stock.__getitem__)

    assert (stats.removed, stats.unchanged) == (1, len(catalog) - 1)
    assert "P01" not in {hit.product_id for hit in index.search("winter coat", EVERYTHING, k=20)}


def test_stock_is_read_live_and_never_re_embeds(
    index: CatalogIndex, catalog: list[Product], stock: dict[str, int]
) -> None:
    stock["P02"] = 3
    stock["P01"] = 0

    in_stock = {hit.product_id for hit in index.search("warm winter parka coat", CatalogFilter(), k=20)}
    assert "P02" in in_stock  # no upsert in between: the function the last upsert named is read per query
    assert "P01" not in in_stock
    assert index.upsert(catalog, stock.__getitem__).embedded == 0


def test_a_product_whose_category_changed_moves_between_filters(
    index: CatalogIndex, catalog: list[Product], stock: dict[str, int]
) -> None:
    catalog[9] = catalog[9].model_copy(update={"category": "outerwear", "price": 19.5})  # the chef's knife

    assert index.upsert(catalog, stock.__getitem__).updated == 1
    knives = index.search("chef knife", CatalogFilter(categories=["outerwear"], max_price=20), k=3)
    assert [hit.product_id for hit in knives] == ["P10"]
    assert (knives[0].category, knives[0].price) == ("outerwear", 19.5)
    assert not index.search("chef knife", CatalogFilter(categories=["kitchen"], max_price=20), k=3)


def test_remove_forgets_products_and_ignores_unknown_ids(
    index: CatalogIndex, catalog: list[Product], stock: dict[str, int]
) -> None:
    assert index.remove(["P06", "P99"]) == 1

    assert index.count() == len(catalog) - 1
    assert "P06" not in {hit.product_id for hit in index.search("espresso coffee beans", EVERYTHING, k=20)}
    with pytest.raises(NotFoundError):
        index.similar("P06", EVERYTHING)
    assert index.upsert(catalog, stock.__getitem__).added == 1  # it comes back when the catalog still has it


def test_out_of_stock_is_never_returned_whatever_the_road(index: CatalogIndex, stock: dict[str, int]) -> None:
    for product_id in stock:
        stock[product_id] = 0 if product_id != "P05" else 2
    for flt in (CatalogFilter(), CatalogFilter(categories=["memory_cards"]), CatalogFilter(max_price=20)):
        assert [hit.product_id for hit in index.search("memory card", flt, k=10)] == ["P05"]
    assert [hit.product_id for hit in index.similar("P04", CatalogFilter(), k=10)] == ["P05"]


def test_in_stock_filter_hides_out_of_stock_products(index: CatalogIndex) -> None:
    shown = {hit.product_id for hit in index.search("winter", CatalogFilter(), k=20)}
    everything = {hit.product_id for hit in index.search("winter", EVERYTHING, k=20)}

    assert {"P02", "P09"} <= everything
    assert not shown & {"P02", "P09"}
    assert all(hit.in_stock for hit in index.search("winter", CatalogFilter(), k=20))


def test_category_filter(index: CatalogIndex) -> None:
    hits = index.search("winter", CatalogFilter(in_stock=False, categories=["footwear"]), k=20)

    assert {hit.category for hit in hits} == {"footwear"}
    assert hits[0].product_id == "P09"


def test_price_filter(index: CatalogIndex) -> None:
    hits = index.search("coffee beans", CatalogFilter(min_price=13, max_price=25), k=20)

    assert hits
    assert all(13 <= hit.price <= 25 for hit in hits)
    assert "P07" not in {hit.product_id for hit in hits}  # the 12.99 decaf


def test_exclude_ids_filter(index: CatalogIndex) -> None:
    hits = index.search("espresso coffee beans", CatalogFilter(exclude_ids=["P06"]), k=20)

    assert "P06" not in {hit.product_id for hit in hits}
    assert hits[0].product_id == "P07"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("espresso beans", "P06"),
        ("sd memory card for photos", "P04"),
        ("non-stick pan", "P11"),
        ("cotton tee shirts", "P12"),
        ("running shoes", "P08"),
    ],
)
def test_search_ranks_the_relevant_product_first(index: CatalogIndex, query: str, expected: str) -> None:
    hits = index.search(query, CatalogFilter(), k=5)

    assert hits[0].product_id == expected
    assert all(0 <= hit.score <= 1 for hit in hits)
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)


def test_similar_returns_neighbours_but_never_the_product(index: CatalogIndex) -> None:
    hits = index.similar("P04", CatalogFilter(), k=3)

    assert "P04" not in {hit.product_id for hit in hits}
    assert hits[0].product_id == "P05"  # the other memory card


def test_similar_respects_filters(index: CatalogIndex) -> None:
    hits = index.similar("P01", CatalogFilter(categories=["footwear"]), k=5)

    assert {hit.product_id for hit in hits} == {"P08"}  # P09 is out of stock


def test_similar_to_an_unknown_product_is_not_found(index: CatalogIndex) -> None:
    with pytest.raises(NotFoundError, match="P99"):
        index.similar("P99", CatalogFilter())
    assert similar_ids(index, "P99", k=3) == []


def test_the_id_helpers_read_in_stock_ids_off_the_hits(index: CatalogIndex) -> None:
    footwear = CatalogFilter(categories=["footwear"])
    assert search_ids(index, "winter", k=5, flt=footwear) == ["P08"]  # P09 is out of stock
    assert similar_ids(index, "P06", k=1) == ["P07"]


def test_blank_query_returns_nothing(index: CatalogIndex) -> None:
    assert index.search("   ", CatalogFilter()) == []


@pytest.mark.parametrize("k", [0, 101])
def test_k_out_of_range_is_rejected(index: CatalogIndex, k: int) -> None:
    with pytest.raises(ValueError, match="k must be"):
        index.search("coffee", CatalogFilter(), k=k)


def test_min_price_above_max_price_is_rejected() -> None:
    with pytest.raises(ValueError, match="min_price"):
        CatalogFilter(min_price=50, max_price=10)


def test_reopens_in_a_new_client_without_re_embedding(
    index: CatalogIndex, catalog: list[Product], stock: dict[str, int], fresh_client: Callable[[], ClientAPI]
) -> None:
    reopened = CatalogIndex(fresh_client(), LexicalEmbedding(), index.name)

    assert reopened.upsert(catalog, stock.__getitem__).unchanged == len(catalog)
    assert reopened.search("espresso beans", CatalogFilter(), k=1)[0].product_id == "P06"


def test_reopening_with_another_vector_space_fails_loudly(
    index: CatalogIndex, fresh_client: Callable[[], ClientAPI]
) -> None:
    with pytest.raises(StoreError, match="rebuild"):
        CatalogIndex(fresh_client(), LexicalEmbedding(dim=256), index.name)


def test_rebuild_starts_an_empty_collection(index: CatalogIndex, fresh_client: Callable[[], ClientAPI]) -> None:
    rebuilt = CatalogIndex(fresh_client(), LexicalEmbedding(dim=256), index.name, rebuild=True)

    assert rebuilt.count() == 0
