"""Opening the catalog from settings: embedded Chroma under the data dir, or a Chroma server."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from urllib.parse import urlsplit

import chromadb
from chromadb.api import ClientAPI
from chromadb.api.types import Documents, EmbeddingFunction
from chromadb.config import Settings as ChromaSettings

from nextbest.contracts import Product, StockLevel
from nextbest.errors import ConfigError
from nextbest.settings import EmbeddingKind, Settings

from .embeddings import make_embedding
from .index import CatalogIndex, Progress
from .models import IndexStats

__all__ = [
    "Stock",
    "collection_name",
    "index_catalog",
    "make_client",
    "open_catalog",
    "open_product_search",
    "stock_totals",
]


def make_client(settings: Settings) -> ClientAPI:
    """A Chroma client: HttpClient when `chroma_url` is set, else PersistentClient in `data_dir/chroma`."""
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if not settings.chroma_url:
        path = settings.data_dir / "chroma"
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    url = urlsplit(settings.chroma_url)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ConfigError(f"chroma_url must look like http://host:8000, got {settings.chroma_url!r}")
    ssl = url.scheme == "https"
    try:
        port = url.port or (443 if ssl else 8000)
    except ValueError as exc:
        raise ConfigError(f"chroma_url has a bad port: {settings.chroma_url!r}") from exc
    return chromadb.HttpClient(host=url.hostname, port=port, ssl=ssl, settings=chroma_settings)


def collection_name(kind: EmbeddingKind) -> str:
    """One collection per embedding kind, so switching `embedding` never mixes vector spaces."""
    return f"catalog-{kind.value}"


def open_catalog(
    settings: Settings, *, embedding: EmbeddingFunction[Documents] | None = None, rebuild: bool = False
) -> CatalogIndex:
    """The catalog index for `settings.embedding`; it owns its client, so close it (or use `with`) when done."""
    function = embedding if embedding is not None else make_embedding(settings.embedding, settings)
    return CatalogIndex(
        make_client(settings), function, collection_name(settings.embedding), rebuild=rebuild, owns_client=True
    )


def stock_totals(levels: Iterable[StockLevel]) -> dict[str, int]:
    """Units per product over every size and location."""
    totals: dict[str, int] = {}
    for level in levels:
        totals[level.product_id] = totals.get(level.product_id, 0) + level.quantity
    return totals


Stock = Mapping[str, int] | Callable[[str], int] | Iterable[StockLevel]
"""Units per product id: a mapping, a function, or stock rows (summed per product)."""


def index_catalog(
    settings: Settings,
    products: Iterable[Product],
    stock: Stock,
    *,
    progress: Progress | None = None,
    rebuild: bool = False,
) -> IndexStats:
    """Bring the configured catalog index up to date with `products` (the `nextbest catalog index` command)."""
    with open_catalog(settings, rebuild=rebuild) as index:
        return index.upsert(products, _units(stock), progress=progress)


def open_product_search(settings: Settings, products: Iterable[Product], stock: Stock) -> CatalogIndex:
    """The catalog index, synced with `products` first: unchanged products cost a hash, not an embedding."""
    index = open_catalog(settings)
    try:
        index.upsert(products, _units(stock))
    except BaseException:
        index.close()
        raise
    return index


def _units(stock: Stock) -> Callable[[str], int]:
    if callable(stock):
        return stock
    totals = stock if isinstance(stock, Mapping) else stock_totals(stock)

    def units(product_id: str) -> int:
        return totals.get(product_id, 0)

    return units
