"""What the retail store holds and hands out: a write batch, a full snapshot, and the changes since a version."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from nextbest.contracts import Offer, Product, ProductLink, Profile, Store

__all__ = [
    "NO_STOCK_ROW",
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
    "stock_table",
]

_STOCK_FIELDS: list[pa.Field[Any]] = [
    pa.field("product_id", pa.string(), nullable=False),
    pa.field("variant_id", pa.string()),
    pa.field("size", pa.string()),
    pa.field("store_id", pa.string(), nullable=False),
    pa.field("quantity", pa.int64(), nullable=False),
]
STOCK_SCHEMA = pa.schema(_STOCK_FIELDS)
"""Stock travels as columns, never one object per row: 7.5 M rows are 5 arrays, not 7.5 M models."""


def empty_stock() -> pa.Table:
    return STOCK_SCHEMA.empty_table()


def stock_table(
    product_id: Sequence[str],
    variant_id: Sequence[str | None],
    size: Sequence[str | None],
    store_id: Sequence[str],
    quantity: Sequence[int],
) -> pa.Table:
    """A stock table from columns of equal length."""
    return pa.Table.from_arrays(
        [
            pa.array(product_id, pa.string()),
            pa.array(variant_id, pa.string()),
            pa.array(size, pa.string()),
            pa.array(store_id, pa.string()),
            pa.array(quantity, pa.int64()),
        ],
        schema=STOCK_SCHEMA,
    )


NO_STOCK_ROW = -1
"""A `StockGrid` cell where the inventory has no row (a stocked-out row holds 0)."""


@dataclass(frozen=True)
class StockGrid:
    """All stock as one int32 matrix: a row per SKU (`product_ids[i]`, `variant_ids[i]`, `sizes[i]`), a column per
    location (`store_ids[j]`); a cell is the units held, or `NO_STOCK_ROW`. 7.5 M stock rows are 30 MB here."""

    product_ids: list[str]
    variant_ids: list[str | None]
    sizes: list[str | None]
    store_ids: list[str]
    quantity: npt.NDArray[np.int32]

    @classmethod
    def empty(cls) -> StockGrid:
        return cls([], [], [], [], np.full((0, 0), NO_STOCK_ROW, np.int32))

    @property
    def num_rows(self) -> int:
        """Stock rows held (cells that are not `NO_STOCK_ROW`)."""
        return int(np.count_nonzero(self.quantity >= 0))

    @property
    def nbytes(self) -> int:
        return int(self.quantity.nbytes)

    def totals(self) -> dict[str, int]:
        """Units per product, over every SKU and location."""
        units = np.where(self.quantity > 0, self.quantity, 0).sum(axis=1, dtype=np.int64).tolist()
        found: dict[str, int] = {}
        for product_id, count in zip(self.product_ids, units, strict=True):
            found[product_id] = found.get(product_id, 0) + count
        return found

    def to_table(self) -> pa.Table:
        """The held rows as a `STOCK_SCHEMA` table (for small grids: tests, exports)."""
        rows, cols = np.nonzero(self.quantity >= 0)
        return stock_table(
            [self.product_ids[r] for r in rows.tolist()],
            [self.variant_ids[r] for r in rows.tolist()],
            [self.sizes[r] for r in rows.tolist()],
            [self.store_ids[c] for c in cols.tolist()],
            self.quantity[rows, cols].tolist(),
        )


class DataSet(StrEnum):
    """Which data a store holds: the generated demo, or the retailer's own. They never mix."""

    DEMO = "demo"
    OWN = "own"


@dataclass(frozen=True)
class RetailBatch:
    """One write, applied in one transaction (all or nothing). Absent parts are left as they are."""

    products: Sequence[Product] = ()
    delete_products: Sequence[str] = ()
    stock: pa.Table | None = None
    stores: Sequence[Store] = ()
    offers: Sequence[Offer] = ()
    customers: Sequence[Profile] = ()
    links: Sequence[ProductLink] | None = None
    """When set, replaces every link of the kinds it holds (and each product's `bought_together` /
    `compatible_with`); `link_kinds` names kinds to clear even when no link of them is left."""
    link_kinds: Sequence[str] = ()
    demo_today: date | None = None
    """The day the demo was loaded: its offer windows (and example requests) are shifted to it."""


@dataclass
class WriteCounts:
    upserted: int = 0
    unchanged: int = 0
    deleted: int = 0


@dataclass
class WriteResult:
    """Per kind (`products`, `stock`, `stores`, `offers`, `customers`, `links`): what the write changed."""

    version: int
    counts: dict[str, WriteCounts] = field(default_factory=dict)
    replaced_demo: bool = False

    def count(self, kind: str) -> WriteCounts:
        return self.counts.setdefault(kind, WriteCounts())

    @property
    def changed(self) -> int:
        return sum(c.upserted + c.deleted for c in self.counts.values())


@dataclass(frozen=True)
class RetailSnapshot:
    """Everything in the store at `version`, for a reader's start-up."""

    version: int
    dataset: DataSet | None
    products: dict[str, Product]
    stores: dict[str, Store]
    offers: dict[str, Offer]
    customers: dict[str, Profile]
    stock: StockGrid
    demo_today: date | None = None

    @property
    def variant_to_product(self) -> dict[str, str]:
        """Every variant id → its product group id, from the products (the snapshot holds no second copy)."""
        return {v.variant_id: p.product_id for p in self.products.values() for v in p.variants}


@dataclass(frozen=True)
class Changes:
    """What changed after `since`, up to `version`. `reset` means the data set was replaced: call `load()`."""

    since: int
    version: int
    reset: bool = False
    products: Sequence[Product] = ()
    deleted_products: Sequence[str] = ()
    stores: Sequence[Store] = ()
    deleted_stores: Sequence[str] = ()
    offers: Sequence[Offer] = ()
    deleted_offers: Sequence[str] = ()
    stock: pa.Table = field(default_factory=empty_stock)

    @property
    def empty(self) -> bool:
        return not (
            self.reset
            or self.products
            or self.deleted_products
            or self.stores
            or self.deleted_stores
            or self.offers
            or self.deleted_offers
            or self.stock.num_rows
        )


class RetailStore(Protocol):
    """The retailer's data: products (with variants), stock, stores, offers, links and customers."""

    async def write(self, batch: RetailBatch, *, dataset: DataSet | None = None) -> WriteResult:
        """Apply `batch` in one transaction. `dataset=OWN` on a demo store first drops the whole demo;
        `dataset=DEMO` on a store holding the retailer's data is refused (StoreError). None keeps the data set."""
        ...

    async def version(self) -> int:
        """The change version: it grows with every write that changed something."""
        ...

    async def dataset(self) -> DataSet | None:
        """None while the store is empty."""
        ...

    async def load(self) -> RetailSnapshot: ...

    async def changes_since(self, version: int) -> Changes: ...

    async def product_ids(self) -> dict[str, str]:
        """Every product and variant id → its product group id (for validating feeds)."""
        ...

    async def variants(self) -> dict[str, tuple[str, str | None]]:
        """Every variant id → (its product group id, its size)."""
        ...

    async def store_ids(self) -> set[str]: ...

    async def close(self) -> None: ...
