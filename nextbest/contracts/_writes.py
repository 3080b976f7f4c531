"""The write routes' bodies and their answer: stock and store batches in, a `WriteAck` out."""

from __future__ import annotations

from pydantic import Field

from ._common import Contract, Count, Identifier
from ._world import Store

__all__ = ["MAX_WRITE_ITEMS", "InventoryWrite", "KindCounts", "StockUpdate", "StoresWrite", "WriteAck"]

MAX_WRITE_ITEMS = 2_000
"""Items per write call (2,000 stock items fit the default 256 KiB body); a bigger change is a feed for
`nextbest import`."""


class StockUpdate(Contract):
    """Units of one SKU at one store, as a GMC local inventory row: `id` is a variant id or a product group id."""

    id: Identifier
    store_code: Identifier
    quantity: Count


class InventoryWrite(Contract):
    items: list[StockUpdate] = Field(min_length=1, max_length=MAX_WRITE_ITEMS)


class StoresWrite(Contract):
    stores: list[Store] = Field(min_length=1, max_length=MAX_WRITE_ITEMS)


class KindCounts(Contract):
    upserted: Count = 0
    unchanged: Count = 0
    deleted: Count = 0


class WriteAck(Contract):
    """What one write changed. Every worker serves it once its data reaches `version` (within the data poll)."""

    version: Count = Field(description="The retail data version after this write")
    changed: dict[str, KindCounts] = Field(description="Per kind (products, stock, stores): what the write did")
    replaced_demo: bool = Field(description="True when this write dropped the demo data set from the store")
