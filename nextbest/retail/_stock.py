"""Stock as columns: from SQL rows into Arrow in chunks, and from Arrow into SQL parameter rows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.compute as pc

from .interface import STOCK_SCHEMA

__all__ = ["CHUNK_ROWS", "read_stock_rows", "sku_column", "stock_chunks"]

CHUNK_ROWS = 250_000


class _Rows(Protocol):
    def fetchmany(self, size: int = ...) -> list[Any]: ...


def read_stock_rows(cursor: _Rows) -> pa.Table:
    """(product_id, variant_id, size, store_id, quantity) rows into one table, a chunk at a time."""
    batches = []
    while rows := cursor.fetchmany(CHUNK_ROWS):
        columns = list(zip(*rows, strict=True))
        batches.append(
            pa.RecordBatch.from_arrays(
                [pa.array(column, type=field.type) for column, field in zip(columns, STOCK_SCHEMA, strict=True)],
                schema=STOCK_SCHEMA,
            )
        )
    return pa.Table.from_batches(batches, schema=STOCK_SCHEMA).combine_chunks()


def sku_column(stock: pa.Table) -> pa.ChunkedArray[Any]:
    """The stock key within a product: the variant id, else the size, else ''."""
    blank = pa.scalar("", pa.string())
    return pc.coalesce(stock["variant_id"], stock["size"], blank)  # type: ignore[arg-type]  # stubs lack scalars


def stock_chunks(stock: pa.Table, version: int) -> Iterator[list[tuple[Any, ...]]]:
    """Parameter rows (product_id, sku, store_id, variant_id, size, quantity, version), a chunk at a time."""
    stock = stock.select(STOCK_SCHEMA.names).cast(STOCK_SCHEMA)
    sku = sku_column(stock)
    for start in range(0, stock.num_rows, CHUNK_ROWS):
        part = stock.slice(start, CHUNK_ROWS)
        keys = sku.slice(start, CHUNK_ROWS)
        yield list(
            zip(
                part["product_id"].to_pylist(),
                keys.to_pylist(),
                part["store_id"].to_pylist(),
                part["variant_id"].to_pylist(),
                part["size"].to_pylist(),
                part["quantity"].to_pylist(),
                [version] * part.num_rows,
                strict=True,
            )
        )
