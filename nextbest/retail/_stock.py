"""Stock as columns: SQL rows into Arrow in chunks, one row per SKU into a `StockGrid`, Arrow into SQL rows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from .interface import NO_STOCK_ROW, STOCK_SCHEMA, StockGrid

__all__ = ["CHUNK_ROWS", "GRID_SEPARATOR", "read_stock_grid", "read_stock_rows", "sku_column", "stock_chunks"]

CHUNK_ROWS = 250_000
GRID_CHUNK = 20_000
GRID_SEPARATOR = "\x1f"
"""Between the store ids of one SKU's aggregated row (quantities are joined with ',')."""


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


class _GridReader:
    """Builds a `StockGrid` from rows (product_id, variant_id, size, store ids, quantities), one per SKU."""

    def __init__(self) -> None:
        self.grid = StockGrid.empty()
        self._cols: dict[str, int] = {}
        self._layouts: dict[str, npt.NDArray[np.intp]] = {}
        self._ids: dict[str, str] = {}  # one str object per repeated id or size
        self._parts: list[npt.NDArray[np.int32]] = []

    def _layout(self, stores: str) -> npt.NDArray[np.intp]:
        layout = self._layouts.get(stores)
        if layout is None:
            codes = [self._cols.setdefault(store, len(self._cols)) for store in stores.split(GRID_SEPARATOR)]
            layout = self._layouts[stores] = np.array(codes, np.intp)
        return layout

    def _one(self, value: str | None) -> str | None:
        return None if value is None else self._ids.setdefault(value, value)

    def add(self, rows: list[Any]) -> None:
        grid, layouts, texts = self.grid, [], []
        for product_id, variant_id, size, stores, quantities in rows:
            grid.product_ids.append(self._ids.setdefault(product_id, product_id))
            grid.variant_ids.append(variant_id)
            grid.sizes.append(self._one(size))
            layouts.append(self._layout(stores))
            texts.append(quantities)
        lengths = np.fromiter((len(layout) for layout in layouts), np.intp, len(layouts))
        part = np.full((len(rows), len(self._cols)), NO_STOCK_ROW, np.int32)
        quantities = np.fromstring(",".join(texts), dtype=np.int32, sep=",")  # text mode: parsed in C
        part[np.repeat(np.arange(len(rows)), lengths), np.concatenate(layouts)] = quantities
        self._parts.append(part)

    def finish(self) -> StockGrid:
        width = len(self._cols)
        quantity = np.full((len(self.grid.product_ids), width), NO_STOCK_ROW, np.int32)
        start = 0
        for part in self._parts:
            quantity[start : start + part.shape[0], : part.shape[1]] = part
            start += part.shape[0]
        return StockGrid(self.grid.product_ids, self.grid.variant_ids, self.grid.sizes, list(self._cols), quantity)


def read_stock_grid(cursor: _Rows) -> StockGrid:
    """One aggregated row per SKU (stores joined by `GRID_SEPARATOR`, quantities by ',') into a `StockGrid`:
    300k rows for 7.5 M stock cells, and no Python object per cell."""
    reader = _GridReader()
    while rows := cursor.fetchmany(GRID_CHUNK):
        reader.add(rows)
    return reader.finish()
