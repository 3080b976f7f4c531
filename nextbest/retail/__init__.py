"""The retailer's data store: products (with variants), stock, stores, offers, product links and customers.

Every source (a GMC feed, a SQL query, the generated demo) is written here through `nextbest import`, and every
reader (each worker's in-memory view) reads from here. One API, two backends, chosen by `open_retail_store`:
SQLite (`data_dir/retail.sqlite3`, WAL, shared by the workers of one host) or PostgreSQL (when
`database_url` is set; tables in `database_schema`, shared by hosts).

    store = await open_retail_store(settings)
    result = await store.write(RetailBatch(products=[...], stock=table), dataset=DataSet.OWN)
    snapshot = await store.load()                     # start-up: everything, at snapshot.version
    changes = await store.changes_since(snapshot.version)   # then poll: only what changed
    if changes.reset: snapshot = await store.load()   # the data set was replaced (demo → own)

- `write(batch, dataset=)` applies a `RetailBatch` in one transaction: products are upserted by content
  hash (a re-import changes nothing, `WriteResult.counts["products"].unchanged` says so), `delete_products`
  removes products with their variants, stock and links; `stock` is an Arrow table (`STOCK_SCHEMA`,
  columnar: no object per row) whose rows are upserted where the quantity differs; `links`, when given,
  replace every link of their kinds and rewrite each product's `bought_together` / `compatible_with` (the
  links table is the one source of truth for those fields; links declared on a written product replace
  that product's links). `dataset=OWN` on a store holding the demo first drops the whole demo.
- A product is addressable by its group id and any variant id: `product_ids()` maps both to the group, and
  `RetailSnapshot.variant_to_product` maps variants.
- `load()` hands the stock over as a `StockGrid`: an int32 matrix, a row per SKU and a column per location,
  read as one aggregated row per SKU (300k rows for 7.5 M stock rows), which a worker's `StockMatrix` holds
  without a copy.
- Versions: each write that changes something gets the next version, stamped on every row it changed;
  deletions leave tombstones. `changes_since(v)` returns the products, stores and offers changed or deleted
  after `v` and the changed stock rows (deleted products take their stock with them), or `reset=True`.
"""

from __future__ import annotations

from nextbest.settings import Settings

from .interface import (
    NO_STOCK_ROW,
    STOCK_SCHEMA,
    Changes,
    DataSet,
    RetailBatch,
    RetailSnapshot,
    RetailStore,
    StockGrid,
    WriteCounts,
    WriteResult,
    empty_stock,
    stock_table,
)

__all__ = [
    "NO_STOCK_ROW",
    "RETAIL_FILE",
    "STOCK_SCHEMA",
    "Changes",
    "DataSet",
    "RetailBatch",
    "RetailSnapshot",
    "RetailStore",
    "StockGrid",
    "WriteCounts",
    "WriteResult",
    "empty_stock",
    "open_retail_store",
    "stock_table",
]

RETAIL_FILE = "retail.sqlite3"


async def open_retail_store(settings: Settings) -> RetailStore:
    """PostgreSQL when `database_url` is set, else SQLite under `data_dir`."""
    if settings.database_url:
        from .postgres_store import PostgresRetailStore

        return await PostgresRetailStore.open(settings.database_url, schema=settings.database_schema)
    from .sqlite_store import SqliteRetailStore

    return SqliteRetailStore(settings.data_dir / RETAIL_FILE)
