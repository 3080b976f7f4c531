"""Stock held as one int32 matrix, SKU × location, so 7.5 M rows cost ~30 MB and not 7.5 M objects.

A SKU is a product's variant (or its size, or the product itself when it has neither); a location is a store
or "online". A cell is -1 where the inventory has no row, else the units held. Rows and columns are added as
SKUs and stores appear, and a deleted product's rows are reused.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from nextbest.contracts import StockLevel
from nextbest.retail.interface import NO_STOCK_ROW, StockGrid

__all__ = ["NO_ROW", "StockMatrix", "stock_levels_table"]

NO_ROW = NO_STOCK_ROW
_SEP = "\x1f"
_COLUMNS = ["product_id", "variant_id", "size", "store_id", "quantity"]
_TYPES = pa.schema([(name, pa.string()) for name in _COLUMNS[:-1]] + [("quantity", pa.int64())])


def stock_levels_table(levels: Iterable[StockLevel]) -> pa.Table:
    """Stock rows as the columnar table the matrix loads (the retail store's STOCK_SCHEMA columns)."""
    rows = list(levels)
    return pa.table(
        {
            "product_id": pa.array([r.product_id for r in rows], pa.string()),
            "variant_id": pa.array([r.variant_id for r in rows], pa.string()),
            "size": pa.array([r.size for r in rows], pa.string()),
            "store_id": pa.array([r.store_id for r in rows], pa.string()),
            "quantity": pa.array([r.quantity for r in rows], pa.int64()),
        }
    )


def _sku(variant_id: str | None, size: str | None) -> str:
    return variant_id or size or ""


class StockMatrix:
    """Units by (product, SKU, location); every read is a dict hit plus a small numpy slice."""

    def __init__(self) -> None:
        self._qty: npt.NDArray[np.int32] = np.full((0, 0), NO_ROW, dtype=np.int32)
        self._cols: dict[str, int] = {}
        self._col_ids: list[str] = []
        self._rows: dict[tuple[str, str], int] = {}
        self._rows_of: dict[str, list[int]] = {}
        self._row_size: list[str | None] = []
        self._row_variant: list[str | None] = []
        self._free: list[int] = []

    @classmethod
    def from_grid(cls, grid: StockGrid) -> StockMatrix:
        """Hold the grid's matrix as it is (no copy); only the SKU and store keys are built, one per row."""
        matrix = cls()
        matrix._qty = grid.quantity
        matrix._col_ids = list(grid.store_ids)
        matrix._cols = {store_id: col for col, store_id in enumerate(matrix._col_ids)}
        matrix._row_size = list(grid.sizes)
        matrix._row_variant = list(grid.variant_ids)
        rows, rows_of = matrix._rows, matrix._rows_of
        keys = zip(grid.product_ids, grid.variant_ids, grid.sizes, strict=True)
        for row, (product_id, variant_id, size) in enumerate(keys):
            rows[(product_id, _sku(variant_id, size))] = row
            rows_of.setdefault(product_id, []).append(row)
        return matrix

    # ---- writes -------------------------------------------------------------------------------------------

    def _grow(self, rows: int, cols: int) -> None:
        have_rows, have_cols = self._qty.shape
        if rows <= have_rows and cols <= have_cols:
            return
        grown = np.full(
            (max(rows, have_rows * 2 if rows > have_rows else have_rows), max(cols, have_cols)), NO_ROW, np.int32
        )
        grown[:have_rows, :have_cols] = self._qty
        self._qty = grown

    def _col(self, store_id: str) -> int:
        col = self._cols.get(store_id)
        if col is None:
            col = self._cols[store_id] = len(self._col_ids)
            self._col_ids.append(store_id)
            self._grow(self._qty.shape[0], col + 1)
        return col

    def _row(self, product_id: str, variant_id: str | None, size: str | None) -> int:
        key = (product_id, _sku(variant_id, size))
        row = self._rows.get(key)
        if row is not None:
            return row
        if self._free:
            row = self._free.pop()
            self._row_size[row], self._row_variant[row] = size, variant_id
        else:
            row = len(self._row_size)
            self._row_size.append(size)
            self._row_variant.append(variant_id)
            self._grow(row + 1, self._qty.shape[1])
        self._rows[key] = row
        self._rows_of.setdefault(product_id, []).append(row)
        return row

    def set(self, product_id: str, variant_id: str | None, size: str | None, store_id: str, quantity: int) -> None:
        self._qty[self._row(product_id, variant_id, size), self._col(store_id)] = quantity

    def apply(self, stock: pa.Table) -> int:
        """Set every row of a stock table (STOCK_SCHEMA columns); bulk loads vectorise the assignment."""
        if stock.num_rows == 0:
            return 0
        stock = stock.select(_COLUMNS).cast(_TYPES)  # a column of only nulls arrives typed null
        blank = pa.scalar("", pa.string())
        sku = pc.coalesce(stock["variant_id"], stock["size"], blank)
        joined = pc.binary_join_element_wise(stock["product_id"], sku, _SEP)  # type: ignore[call-overload]
        key = joined.combine_chunks().dictionary_encode()
        codes = np.asarray(key.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
        _, first = np.unique(codes, return_index=True)
        products: list[Any] = stock["product_id"].take(first).to_pylist()
        variants: list[Any] = stock["variant_id"].take(first).to_pylist()
        sizes: list[Any] = stock["size"].take(first).to_pylist()
        rows = np.array([self._row(p, v, s) for p, v, s in zip(products, variants, sizes, strict=True)], np.int64)
        stores = stock["store_id"].combine_chunks().dictionary_encode()
        cols = np.array([self._col(str(sid)) for sid in stores.dictionary.to_pylist()], np.int64)
        store_codes = np.asarray(stores.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
        quantity = np.asarray(stock["quantity"].to_numpy(), dtype=np.int32)
        self._qty[rows[codes], cols[store_codes]] = quantity
        return stock.num_rows

    def drop_product(self, product_id: str) -> None:
        for row in self._rows_of.pop(product_id, []):
            self._qty[row, :] = NO_ROW
            del self._rows[(product_id, _sku(self._row_variant[row], self._row_size[row]))]
            self._free.append(row)

    def drop_store(self, store_id: str) -> None:
        col = self._cols.get(store_id)
        if col is not None:
            self._qty[:, col] = NO_ROW

    # ---- reads --------------------------------------------------------------------------------------------

    def levels(self, product_id: str) -> Sequence[StockLevel]:
        rows = self._rows_of.get(product_id, ())
        found: list[StockLevel] = []
        for row in rows:
            for col in np.flatnonzero(self._qty[row] >= 0).tolist():
                found.append(
                    StockLevel.model_construct(
                        product_id=product_id,
                        size=self._row_size[row],
                        store_id=self._col_ids[col],
                        quantity=int(self._qty[row, col]),
                        variant_id=self._row_variant[row],
                    )
                )
        return found

    def in_stock(self, product_id: str, *, store_id: str | None = None) -> dict[str | None, int]:
        """Units held per size (None: a SKU without one), sizes holding none left out; at `store_id` if given.

        What a candidate needs, read in one numpy pass rather than as a `StockLevel` per cell."""
        rows = self._rows_of.get(product_id)
        if not rows:
            return {}
        if store_id is None:
            cells = self._qty[rows]
            units = np.where(cells > 0, cells, 0).sum(axis=1).tolist()
        else:
            col = self._cols.get(store_id)
            if col is None:
                return {}
            units = np.maximum(self._qty[rows, col], 0).tolist()
        held: dict[str | None, int] = {}
        for row, count in zip(rows, units, strict=True):
            if count > 0:
                size = self._row_size[row]
                held[size] = held.get(size, 0) + int(count)
        return held

    def available(self, product_id: str, *, size: str | None = None, store_id: str | None = None) -> int:
        rows = self._rows_of.get(product_id)
        if not rows:
            return 0
        if size is not None:
            rows = [row for row in rows if self._row_size[row] == size]
        if store_id is not None:
            col = self._cols.get(store_id)
            if col is None:
                return 0
            cells = self._qty[rows, col]
        else:
            cells = self._qty[rows]
        return int(cells[cells > 0].sum())

    def variants_in_stock(self, product_id: str, store_id: str | None = None) -> Iterable[tuple[str | None, str]]:
        """(size, variant id) of each variant holding a unit (at `store_id` when given)."""
        col = self._cols.get(store_id) if store_id is not None else None
        for row in self._rows_of.get(product_id, ()):
            variant = self._row_variant[row]
            if variant is None:
                continue
            cells = self._qty[row] if col is None else self._qty[row, col : col + 1]
            if (cells > 0).any():
                yield self._row_size[row], variant

    @property
    def rows(self) -> int:
        """Stock rows held (cells with a row, stocked out or not)."""
        return int(np.count_nonzero(self._qty >= 0))

    @property
    def nbytes(self) -> int:
        return int(self._qty.nbytes)
