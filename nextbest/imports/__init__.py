"""`nextbest import`: a retailer's feeds (GMC products, local inventory, promotions; stores; orders) into the
retail store, all or nothing.

    report = await import_feed(store, Feed(kind="products", source=read_file(path)))

A feed is a CSV/TSV `Source` (`read_file`, `read_sql`) or nextbest's JSONL (`Feed(jsonl=path)`). Every bad row
becomes a `RowError` (`file:line: column: what is wrong`); a feed with errors writes nothing
(`FeedRejectedError`) unless `skip_bad_rows`, which writes the good rows and returns the rejected ones. The first
import into a store holding the demo replaces the demo (ids are then checked against the new data only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

import pyarrow as pa
from pydantic import BaseModel

from nextbest.contracts import LinkKind, Offer, OrderLine, Product, StockLevel, Store
from nextbest.errors import NextbestError
from nextbest.retail import DataSet, RetailBatch, RetailStore, WriteResult
from nextbest.world import load_world

from ._demo import demo_batch, stock_rows_table
from ._inventory import read_inventory
from ._jsonl import read_jsonl
from ._orders import co_purchase_links, read_orders
from ._products import COMPATIBLE_COLUMN, read_products
from ._rows import RowError, Rows
from ._small import read_promotions, read_stores
from ._source import Source, read_file, read_sql

__all__ = [
    "COMPATIBLE_COLUMN",
    "Feed",
    "FeedRejectedError",
    "ImportReport",
    "Kind",
    "RowError",
    "Source",
    "import_demo",
    "import_feed",
    "read_file",
    "read_sql",
]

Kind = Literal["products", "inventory", "stores", "promotions", "orders"]
_KIND_TABLE = {
    "products": "products",
    "inventory": "stock",
    "stores": "stores",
    "promotions": "offers",
    "orders": "links",
}
_JSONL_MODELS: dict[str, type[BaseModel]] = {
    "products": Product,
    "inventory": StockLevel,
    "stores": Store,
    "promotions": Offer,
    "orders": OrderLine,
}


class FeedRejectedError(NextbestError):
    """The feed has bad rows: nothing was written."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        super().__init__(f"{len(errors)} bad row(s); nothing imported")


@dataclass(frozen=True)
class Feed:
    kind: Kind
    source: Source | None = None
    jsonl: Path | None = None
    min_support: int = 2
    top: int = 5


@dataclass
class ImportReport:
    kind: Kind
    read: int
    upserted: int
    unchanged: int
    rejected: int
    errors: list[RowError] = field(default_factory=list)
    rejected_rows: pa.Table | list[str] | None = None
    result: WriteResult | None = None


@dataclass
class _Known:
    ids: dict[str, str]
    variants: dict[str, tuple[str, str | None]]
    stores: set[str]


async def _known(store: RetailStore) -> _Known:
    if await store.dataset() is not DataSet.OWN:  # the demo is dropped by this import: check against nothing
        return _Known({}, {}, set())
    return _Known(await store.product_ids(), await store.variants(), await store.store_ids())


def _from_rows(feed: Feed, rows: Rows, known: _Known) -> RetailBatch:
    kind = feed.kind
    if kind == "products":
        return RetailBatch(products=read_products(rows, known.ids))
    if kind == "inventory":
        groups = set(known.ids.values())
        return RetailBatch(stock=read_inventory(rows, known.variants, groups, known.stores))
    if kind == "stores":
        return RetailBatch(stores=read_stores(rows))
    if kind == "promotions":
        return RetailBatch(offers=read_promotions(rows, known.ids))
    lines = read_orders(rows, known.ids)
    links = co_purchase_links(lines, min_support=feed.min_support, top=feed.top)
    return RetailBatch(links=links, link_kinds=[LinkKind.BOUGHT_TOGETHER.value])


def _from_jsonl(feed: Feed, objects: list[object], known: _Known) -> RetailBatch:
    if feed.kind == "products":
        return RetailBatch(products=[o for o in objects if isinstance(o, Product)])
    if feed.kind == "inventory":
        return RetailBatch(stock=stock_rows_table([o for o in objects if isinstance(o, StockLevel)]))
    if feed.kind == "stores":
        return RetailBatch(stores=[o for o in objects if isinstance(o, Store)])
    if feed.kind == "promotions":
        return RetailBatch(offers=[o for o in objects if isinstance(o, Offer)])
    lines = [o for o in objects if isinstance(o, OrderLine)]
    lines = [line.model_copy(update={"product_id": known.ids.get(line.product_id, line.product_id)}) for line in lines]
    links = co_purchase_links(lines, min_support=feed.min_support, top=feed.top)
    return RetailBatch(links=links, link_kinds=[LinkKind.BOUGHT_TOGETHER.value])


async def import_feed(store: RetailStore, feed: Feed, *, skip_bad_rows: bool = False) -> ImportReport:
    """Check the whole feed, then write it in one transaction (or nothing, when it has errors)."""
    known = await _known(store)
    rejected_rows: pa.Table | list[str] | None
    if feed.jsonl is not None:
        objects: list[BaseModel]
        objects, errors, rejected_lines = read_jsonl(feed.jsonl, _JSONL_MODELS[feed.kind])
        batch, read, rejected, rejected_rows = (
            _from_jsonl(feed, list(objects), known),
            len(objects) + len(rejected_lines),
            len(rejected_lines),
            rejected_lines,
        )
    else:
        assert feed.source is not None
        rows = Rows(feed.source)
        batch = _from_rows(feed, rows, known)
        errors, read, rejected = rows.errors, feed.source.table.num_rows, len(rows.rejected)
        rejected_rows = rows.rejected_table() if rows.rejected else None
    if errors and not skip_bad_rows:
        raise FeedRejectedError(errors)
    result = await store.write(batch, dataset=DataSet.OWN)
    counts = result.count(_KIND_TABLE[feed.kind])
    return ImportReport(feed.kind, read, counts.upserted, counts.unchanged, rejected, errors, rejected_rows, result)


async def import_demo(store: RetailStore, today: date) -> WriteResult:
    """Write the generated demo world as the store's data set (refused once the store holds real data)."""
    return await store.write(demo_batch(load_world(), today), dataset=DataSet.DEMO)
