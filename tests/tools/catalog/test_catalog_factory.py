"""Opening the catalog from settings: embedded or server, indexing from the CLI, syncing with given products."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from chromadb.api import ClientAPI

from nextbest.contracts import Product, StockLevel
from nextbest.errors import ConfigError
from nextbest.settings import EmbeddingKind, Settings
from tools.catalog import (
    CatalogFilter,
    collection_name,
    index_catalog,
    make_client,
    open_catalog,
    open_product_search,
    search_ids,
    similar_ids,
    stock_totals,
)


def _level(product_id: str, store_id: str, quantity: int) -> StockLevel:
    return StockLevel(product_id=product_id, store_id=store_id, quantity=quantity)


def test_stock_totals_sum_every_size_and_location() -> None:
    levels = [_level("P01", "online", 2), _level("P01", "S1", 3), _level("P02", "S1", 0)]

    assert stock_totals(levels) == {"P01": 5, "P02": 0}


def test_index_catalog_persists_under_the_data_dir_and_is_incremental(
    tmp_path: Path, catalog: list[Product], stock: dict[str, int]
) -> None:
    settings = Settings(data_dir=tmp_path)
    seen: list[tuple[int, int]] = []

    first = index_catalog(settings, catalog, stock, progress=lambda done, total: seen.append((done, total)))
    second = index_catalog(settings, catalog, stock.__getitem__)

    assert (tmp_path / "chroma").is_dir()
    assert first.added == len(catalog)
    assert seen[-1] == (len(catalog), len(catalog))
    assert (second.added, second.unchanged) == (0, len(catalog))
    with open_catalog(settings) as index:
        assert index.name == collection_name(EmbeddingKind.LEXICAL) == "catalog-lexical"
        # A freshly opened index knows no stock until an upsert names it, so nothing counts as in stock.
        assert index.search("espresso beans", CatalogFilter(), k=1) == []
        assert index.search("espresso beans", CatalogFilter(in_stock=False), k=1)[0].product_id == "P06"


def test_index_catalog_accepts_stock_levels(tmp_path: Path, catalog: list[Product]) -> None:
    levels = [_level("P06", "online", 0), _level("P06", "S1", 1)]
    settings = Settings(data_dir=tmp_path)

    index_catalog(settings, catalog, levels)

    with open_product_search(settings, catalog, levels) as index:
        assert {hit.product_id for hit in index.search("coffee", CatalogFilter(), k=20)} == {"P06"}


def test_rebuild_re_embeds_everything(tmp_path: Path, catalog: list[Product], stock: dict[str, int]) -> None:
    settings = Settings(data_dir=tmp_path)
    index_catalog(settings, catalog, stock)

    assert index_catalog(settings, catalog, stock, rebuild=True).added == len(catalog)


def test_open_product_search_syncs_with_the_products_and_stock(tmp_path: Path, catalog: list[Product]) -> None:
    rows = (_level("P04", "online", 1), _level("P05", "online", 1))

    with open_product_search(Settings(data_dir=tmp_path), catalog, rows) as search:
        assert search.count() == len(catalog)
        assert search_ids(search, "sd memory card", k=5) == ["P04", "P05"]
        assert similar_ids(search, "P04", k=5) == ["P05"]


@pytest.mark.parametrize("url", ["ftp://chroma:8000", "http://", "http://chroma:port"])
def test_a_bad_chroma_url_is_a_config_error(url: str) -> None:
    with pytest.raises(ConfigError, match="chroma_url"):
        make_client(Settings(chroma_url=url))


def test_chroma_url_selects_the_server(
    chroma_server: int, close_client: Callable[[ClientAPI], None], tmp_path: Path
) -> None:
    client = make_client(Settings(chroma_url=f"http://127.0.0.1:{chroma_server}", data_dir=tmp_path))
    try:
        assert client.heartbeat() > 0
        assert not (tmp_path / "chroma").exists()
    finally:
        close_client(client)
