"""Catalog retrieval: products in Chroma, searched by text or by example, filtered on stock, category, price.

    factory.open_product_search(settings, products, stock)  the service's retrieval, synced with them
    factory.index_catalog(settings, products, stock) the `nextbest catalog index` command
    factory.open_catalog(settings) ─► index.CatalogIndex(client, embedding, collection)
                                        ├─ upsert(products, stock)   incremental, by content hash; stock read live
                                        ├─ search(query, filter, k)  text → products
                                        ├─ similar(id, filter, k)    product → products
                                        └─ remove(ids)               deletions
    search.CatalogSearch               the one search protocol (search, similar); search_ids/similar_ids
    cache.CachedSearch(index)          recent answers, LRU with a TTL, itself a CatalogSearch
    embeddings.make_embedding(kind)    lexical | minilm | openai, each registered with Chroma

The model-facing `search_catalog` tool is `tools.search_catalog.SearchCatalogTool`.
Importing this package registers the embedding functions, which a persisted collection needs to reopen.
"""

from .cache import CachedSearch
from .embeddings import LexicalEmbedding, MiniLMEmbedding, OpenAIEmbedding, make_embedding, semantic_available
from .factory import (
    Stock,
    collection_name,
    index_catalog,
    make_client,
    open_catalog,
    open_product_search,
    stock_totals,
)
from .index import CatalogIndex, Progress
from .models import CatalogFilter, CatalogHit, IndexStats
from .search import IN_STOCK, CatalogSearch, search_ids, similar_ids

__all__ = [
    "IN_STOCK",
    "CachedSearch",
    "CatalogFilter",
    "CatalogHit",
    "CatalogIndex",
    "CatalogSearch",
    "IndexStats",
    "LexicalEmbedding",
    "MiniLMEmbedding",
    "OpenAIEmbedding",
    "Progress",
    "Stock",
    "collection_name",
    "index_catalog",
    "make_client",
    "make_embedding",
    "open_catalog",
    "open_product_search",
    "search_ids",
    "semantic_available",
    "similar_ids",
    "stock_totals",
]
