"""Catalog retrieval: products in Chroma, searched by text or by example, filtered on stock, category, price.

    factory.open_product_search(settings, world)   the service's retrieval, synced with the world
    factory.index_catalog(settings, products, stock) the `nextbest catalog index` command
    factory.open_catalog(settings) ─► index.CatalogIndex(client, embedding, collection)
                                        ├─ upsert(products, stock)   incremental, by content hash
                                        ├─ search(query, filter, k)  text → products
                                        ├─ similar(id, filter, k)    product → products
                                        └─ update_stock(levels)      metadata only
    cache.CachedSearch(index)          recent search_ids/similar_ids answers, LRU with a TTL
    tool.SearchCatalogTool(index)      the model-facing `search_catalog` tool
    embeddings.make_embedding(kind)    lexical | minilm | openai, each registered with Chroma

Importing this package registers the embedding functions, which a persisted collection needs to reopen.
"""

from .cache import CachedSearch, Searcher
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
from .tool import CatalogQuery, CatalogResult, CatalogSearcher, SearchCatalogTool

__all__ = [
    "CachedSearch",
    "CatalogFilter",
    "CatalogHit",
    "CatalogIndex",
    "CatalogQuery",
    "CatalogResult",
    "CatalogSearcher",
    "IndexStats",
    "LexicalEmbedding",
    "MiniLMEmbedding",
    "OpenAIEmbedding",
    "Progress",
    "SearchCatalogTool",
    "Searcher",
    "Stock",
    "collection_name",
    "index_catalog",
    "make_client",
    "make_embedding",
    "open_catalog",
    "open_product_search",
    "semantic_available",
    "stock_totals",
]
