"""The GMC product feed: one row per variant, grouped by `item_group_id` into `Product`s.

A row without `item_group_id` is a product sold as one SKU, unless it has a `size` or `color` (then it is a
variant without a group: an error). `product_type` `A > B > C` gives category A and subcategory B. The custom
column `compatible_with` (comma-separated product or variant ids) declares compatibility links. Columns without
a field of their own are kept as attributes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from nextbest.contracts import Availability, Product, Variant

from ._rows import BadValueError, Rows, field_errors, parse_money

__all__ = ["COMPATIBLE_COLUMN", "read_products"]

COMPATIBLE_COLUMN = "compatible_with"
_VARIANT_FIELDS = {
    "id",
    "item_group_id",
    "size",
    "color",
    "price",
    "sale_price",
    "availability",
    "gtin",
    "link",
    "image_link",
}
_PRODUCT_FIELDS = {"title", "description", "brand", "product_type", COMPATIBLE_COLUMN}
_OWN_FIELDS = frozenset(_VARIANT_FIELDS | _PRODUCT_FIELDS)
_AVAILABILITY = frozenset(Availability)


def _variant(row: dict[str, str]) -> tuple[Variant, str | None]:
    price, currency = parse_money("price", row["price"]) if "price" in row else (None, None)
    sale = parse_money("sale_price", row["sale_price"])[0] if "sale_price" in row else None
    availability = row.get("availability", Availability.IN_STOCK.value).lower().replace(" ", "_")
    if availability not in _AVAILABILITY:
        raise BadValueError("availability", f"{availability!r} is not one of {', '.join(Availability)}")
    variant = Variant(
        variant_id=row["id"],
        size=row.get("size"),
        color=row.get("color"),
        price=price,
        sale_price=sale,
        availability=Availability(availability),
        gtin=row.get("gtin"),
        link=row.get("link"),
        image_link=row.get("image_link"),
        attributes={k: v for k, v in row.items() if k not in _OWN_FIELDS},
    )
    return variant, currency


def _product(group: str, first: dict[str, str], variants: list[Variant], currency: str | None) -> Product:
    if "title" not in first:
        raise BadValueError("title", "empty")
    path = [part.strip() for part in first.get("product_type", "").split(">") if part.strip()]
    if not path and "google_product_category" in first:
        path = [part.strip() for part in first["google_product_category"].split(">") if part.strip()]
    if not path:
        raise BadValueError("product_type", "empty: a product needs a category ('Garden > Pruners')")
    prices = [v.price for v in variants if v.price is not None]
    if not prices:
        raise BadValueError("price", "empty")
    sales = [v.sale_price for v in variants if v.sale_price is not None]
    single = len(variants) == 1 and variants[0].variant_id == group and not variants[0].size
    return Product(
        product_id=group,
        title=first["title"],
        category=path[0],
        subcategory=path[1] if len(path) > 1 else None,
        product_type=" > ".join(path),
        brand=first.get("brand"),
        price=min(prices),
        sale_price=min(sales) if sales else None,
        currency=currency or "USD",
        description=first.get("description", ""),
        link=variants[0].link,
        image_link=variants[0].image_link,
        sizes=list(dict.fromkeys(v.size for v in variants if v.size)),
        variants=[] if single else variants,
        attributes=variants[0].attributes,
    )


def _group_rows(rows: Rows) -> dict[str, list[tuple[int, dict[str, str]]]]:
    groups: dict[str, list[tuple[int, dict[str, str]]]] = {}
    seen: dict[str, int] = {}
    for index, row in rows:
        if "id" not in row:
            rows.reject(index, "id", "empty")
            continue
        if row["id"] in seen:
            rows.reject(index, "id", f"{row['id']!r} repeats line {rows.source.where(seen[row['id']])}")
            continue
        seen[row["id"]] = index
        if "item_group_id" not in row and ("size" in row or "color" in row):
            rows.reject(index, "item_group_id", f"variant {row['id']!r} (it has a size or color) has no group")
            continue
        groups.setdefault(row.get("item_group_id", row["id"]), []).append((index, row))
    return groups


def read_products(rows: Rows, known: Mapping[str, str]) -> list[Product]:
    """The feed's products; bad rows are recorded in `rows`. `known`: ids already stored → their group."""
    rows.require("id", "title", "price")
    built: list[tuple[Product, list[tuple[int, dict[str, str]]]]] = []
    for group, members in _group_rows(rows).items():
        product = _build(rows, group, members)
        if product is not None:
            built.append((product, members))
    ids = dict(known) | {p.product_id: p.product_id for p, _ in built}
    ids |= {v.variant_id: p.product_id for p, _ in built for v in p.variants}
    return [_with_compatible(rows, p, ids, members) for p, members in built]


def _build(rows: Rows, group: str, members: list[tuple[int, dict[str, str]]]) -> Product | None:
    variants: list[Variant] = []
    currency: str | None = None
    for index, row in members:
        try:
            variant, row_currency = _variant(row)
        except BadValueError as exc:
            rows.reject(index, exc.column, exc.message)
            continue
        except ValidationError as exc:
            field_errors(rows, index, exc)
            continue
        variants.append(variant)
        currency = currency or row_currency
    if not variants:
        return None
    first_index, first = members[0]
    try:
        return _product(group, first, variants, currency)
    except BadValueError as exc:
        rows.reject(first_index, exc.column, exc.message)
    except ValidationError as exc:
        field_errors(rows, first_index, exc)
    return None


def _with_compatible(
    rows: Rows, product: Product, ids: Mapping[str, str], members: list[tuple[int, dict[str, Any]]]
) -> Product:
    """The group's `compatible_with` column, over all its rows, as links to product groups."""
    declared: list[str] = []
    for index, row in members:
        refs = [part.strip() for part in row.get(COMPATIBLE_COLUMN, "").split(",") if part.strip()]
        unknown = [ref for ref in refs if ref not in ids]
        if unknown:
            rows.reject(index, COMPATIBLE_COLUMN, f"unknown product {unknown[0]!r}")
        declared += refs
    linked = list(dict.fromkeys(ids[ref] for ref in declared if ref in ids and ids[ref] != product.product_id))
    return product.model_copy(update={"compatible_with": linked}) if linked else product
