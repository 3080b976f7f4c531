"""The GMC local inventory feed (`store_code`, `id`, `quantity`, `availability`), read in columns with Arrow.

Millions of rows: checks are vectorised and only the bad rows are visited one by one. `id` may name a variant
or a product group; an empty `quantity` with availability `out_of_stock` is 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from nextbest.retail import STOCK_SCHEMA

from ._rows import Rows

__all__ = ["read_inventory"]


def _lookup(ids: pa.ChunkedArray[Any], variants: Mapping[str, tuple[str, str | None]], groups: set[str]) -> Any:
    keys = list(variants) + [g for g in groups if g not in variants]
    owners = [variants[k][0] if k in variants else k for k in keys]
    sizes = [variants[k][1] if k in variants else None for k in keys]
    is_variant = [k in variants for k in keys]
    at = pc.index_in(ids, value_set=pa.array(keys, pa.string()))
    return at, pa.array(owners, pa.string()), pa.array(sizes, pa.string()), pa.array(is_variant, pa.bool_())


def read_inventory(
    rows: Rows, variants: Mapping[str, tuple[str, str | None]], groups: set[str], stores: set[str]
) -> pa.Table:
    """Stock rows for STOCK_SCHEMA; bad rows are recorded in `rows` and left out."""
    rows.require("store_code", "id")
    table = rows.source.table
    ids, codes = table["id"], table["store_code"]
    if "quantity" in table.column_names:
        quantity = table["quantity"]
    else:
        quantity = pa.chunked_array([pa.array([""] * table.num_rows, pa.string())])
    availability = table["availability"] if "availability" in table.column_names else None
    at, owners, sizes, is_variant = _lookup(ids, variants, groups)
    known_store = pc.is_in(codes, value_set=pa.array(sorted(stores), pa.string()))
    digits = pc.match_substring_regex(quantity, r"^\s*\d+\s*$")
    out = pc.equal(pc.utf8_lower(availability), pa.scalar("out_of_stock")) if availability is not None else None
    zero_ok = pc.and_(pc.equal(pc.utf8_trim_whitespace(quantity), pa.scalar("")), out) if out is not None else None
    quantity_ok = pc.or_(digits, zero_ok) if zero_ok is not None else digits
    good = pc.and_(pc.and_(pc.is_valid(at), known_store), quantity_ok)
    for index in pc.indices_nonzero(pc.invert(good)).to_pylist():
        _explain(rows, index, ids[index].as_py(), codes[index].as_py(), quantity[index].as_py(), at, known_store)
    picked = pc.indices_nonzero(good)
    where = pc.take(at, picked)
    variant_ids = pc.if_else(pc.take(is_variant, where), pc.take(ids, picked), pa.scalar(None, pa.string()))
    numbers = pc.take(quantity, picked)
    numbers = pc.if_else(pc.equal(pc.utf8_trim_whitespace(numbers), pa.scalar("")), pa.scalar("0"), numbers)
    return pa.Table.from_arrays(
        [
            pc.take(owners, where),
            variant_ids,
            pc.take(sizes, where),
            pc.take(codes, picked),
            pc.cast(pc.utf8_trim_whitespace(numbers), pa.int64()),
        ],
        schema=STOCK_SCHEMA,
    )


def _explain(rows: Rows, index: int, item: str, code: str, quantity: str, at: Any, known_store: Any) -> None:
    if not at[index].is_valid:
        rows.reject(index, "id", f"unknown product {item!r}" if item else "empty")
    elif not known_store[index].as_py():
        rows.reject(index, "store_code", f"unknown store {code!r}" if code else "empty")
    else:
        rows.reject(index, "quantity", f"{quantity!r} is not a whole number of units" if quantity else "empty")
