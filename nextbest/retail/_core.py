"""The store's logic, written once over a DB-API connection; each backend supplies a `Dialect`.

Writes run inside the backend's write transaction (SQLite `BEGIN IMMEDIATE`, PostgreSQL an advisory lock), so
versions are handed out one writer at a time and a reader never sees half a write.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import Any, Protocol, TypeVar

import orjson
import pyarrow as pa
from pydantic import BaseModel

from nextbest.contracts import LinkKind, Offer, Product, ProductLink, Profile, Store
from nextbest.errors import StoreError

from ._stock import GRID_SEPARATOR, read_stock_grid, read_stock_rows
from .interface import Changes, DataSet, RetailBatch, RetailSnapshot, StockGrid, WriteResult

__all__ = ["Dialect", "changes_since", "load", "write"]

M = TypeVar("M", bound=BaseModel)
_TABLES = ("products", "variants", "stores", "offers", "customers", "stock", "links", "deletions")
_LINK_FIELDS = {LinkKind.BOUGHT_TOGETHER.value: "bought_together", LinkKind.COMPATIBLE.value: "compatible_with"}


class Dialect(Protocol):
    """What differs between SQLite and PostgreSQL: placeholders, and how stock goes in fast."""

    def execute(self, conn: Any, query: str, params: Sequence[Any] = ()) -> Any:
        """A cursor with `fetchall` and `fetchmany`."""
        ...

    def executemany(self, conn: Any, query: str, rows: Iterable[Sequence[Any]]) -> int: ...

    def upsert_stock(self, conn: Any, stock: pa.Table, version: int) -> int:
        """Insert or update the rows of `stock` whose quantity differs; the number of rows changed."""
        ...

    def joined(self, column: str, separator: str) -> str:
        """An aggregate joining `column` as text over a group, in store order (`read_stock_grid` reads it)."""
        ...


def _digest(body: str) -> str:
    return hashlib.blake2b(body.encode(), digest_size=16).hexdigest()


def _body(model: BaseModel) -> str:
    return model.model_dump_json(exclude_defaults=True)


def _meta(dialect: Dialect, conn: Any) -> dict[str, str]:
    return {row[0]: row[1] for row in dialect.execute(conn, "SELECT key, value FROM retail_meta").fetchall()}


def _set_meta(dialect: Dialect, conn: Any, key: str, value: str) -> None:
    dialect.execute(
        conn,
        "INSERT INTO retail_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def _upsert_bodies(
    dialect: Dialect, conn: Any, table: str, key: str, models: Sequence[tuple[str, BaseModel]], version: int | None
) -> tuple[int, int, list[str]]:
    """Upsert models by content hash: (upserted, unchanged, the ids that changed)."""
    if not models:
        return 0, 0, []
    known = dict(dialect.execute(conn, f"SELECT {key}, hash FROM {table}").fetchall())
    rows, changed = [], []
    for ident, model in dict(models).items():
        body = _body(model)
        digest = _digest(body)
        if known.get(ident) != digest:
            rows.append((ident, body, digest) if version is None else (ident, body, digest, version))
            changed.append(ident)
    stamp = "" if version is None else ", version"
    values = "?, ?, ?" if version is None else "?, ?, ?, ?"
    update = "body = excluded.body, hash = excluded.hash" + ("" if version is None else ", version = excluded.version")
    dialect.executemany(
        conn,
        f"INSERT INTO {table} ({key}, body, hash{stamp}) VALUES ({values}) ON CONFLICT ({key}) DO UPDATE SET {update}",
        rows,
    )
    if version is not None and changed:
        dialect.executemany(conn, "DELETE FROM deletions WHERE kind = ? AND key = ?", [(table, i) for i in changed])
    return len(changed), len(models) - len(changed), changed


def _links_of(dialect: Dialect, conn: Any, kind: str) -> dict[str, list[str]]:
    rows = dialect.execute(
        conn,
        "SELECT product_id, linked_id FROM links WHERE kind = ? ORDER BY product_id, score DESC, linked_id",
        (kind,),
    ).fetchall()
    linked: dict[str, list[str]] = {}
    for product_id, linked_id in rows:
        linked.setdefault(product_id, []).append(linked_id)
    return linked


def _declared_links(products: Sequence[Product]) -> list[ProductLink]:
    return [
        ProductLink(product_id=product.product_id, linked_id=linked, kind=LinkKind(kind), score=1.0)
        for product in products
        for kind, name in _LINK_FIELDS.items()
        for linked in getattr(product, name)
    ]


def _write_links(
    dialect: Dialect, conn: Any, links: Sequence[ProductLink], kinds: Iterable[str], owners: Iterable[str] | None
) -> None:
    """Replace the links of `kinds`: all of them, or only those of the `owners` products."""
    for kind in kinds:
        if owners is None:
            dialect.execute(conn, "DELETE FROM links WHERE kind = ?", (kind,))
        else:
            dialect.executemany(
                conn, "DELETE FROM links WHERE kind = ? AND product_id = ?", [(kind, o) for o in owners]
            )
    dialect.executemany(
        conn,
        "INSERT INTO links (product_id, kind, linked_id, score, support) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (product_id, kind, linked_id) DO UPDATE SET score = excluded.score, support = excluded.support",
        [(link.product_id, link.kind.value, link.linked_id, link.score, link.support) for link in links],
    )


def _same_links(dialect: Dialect, conn: Any, links: Sequence[ProductLink], kinds: Iterable[str]) -> bool:
    sql = "SELECT product_id, kind, linked_id, score, support FROM links WHERE kind = ?"
    stored = {tuple(row) for kind in kinds for row in dialect.execute(conn, sql, (kind,)).fetchall()}
    return stored == {(k.product_id, k.kind.value, k.linked_id, k.score, k.support) for k in links}


def _with_links(product: Product, linked: dict[str, dict[str, list[str]]]) -> Product:
    """The product with its link fields taken from the links table, the one source of truth for them."""
    fields = {name: linked[kind].get(product.product_id, []) for kind, name in _LINK_FIELDS.items()}
    if all(getattr(product, name) == value for name, value in fields.items()):
        return product
    return product.model_copy(update=fields)


def _write_products(dialect: Dialect, conn: Any, batch: RetailBatch, result: WriteResult) -> None:
    declared = _declared_links(batch.products)
    if declared:
        owners = {link.product_id for link in declared}
        _write_links(dialect, conn, declared, {link.kind.value for link in declared}, owners)
    kinds = {*batch.link_kinds, *(link.kind.value for link in batch.links or ())}
    if batch.links is not None and _same_links(dialect, conn, batch.links, kinds):  # a re-import changes nothing
        result.count("links").unchanged = len(batch.links)
    elif batch.links is not None:
        _write_links(dialect, conn, batch.links, kinds, None)
    linked = {kind: _links_of(dialect, conn, kind) for kind in _LINK_FIELDS}
    if batch.links is not None and not result.count("links").unchanged:  # new links rewrite the products they touch
        stored = [
            _load_model(Product, body) for (body,) in dialect.execute(conn, "SELECT body FROM products").fetchall()
        ]
        touched = [p for p in stored if _with_links(p, linked) is not p]
        counts = result.count("links")
        counts.upserted = len(batch.links)
        _upsert_products(dialect, conn, [_with_links(p, linked) for p in touched], result.version)
    products = [_with_links(product, linked) for product in batch.products]
    upserted, unchanged = _upsert_products(dialect, conn, products, result.version)
    counts = result.count("products")
    counts.upserted += upserted
    counts.unchanged += unchanged


def _upsert_products(dialect: Dialect, conn: Any, products: Sequence[Product], version: int) -> tuple[int, int]:
    upserted, unchanged, changed = _upsert_bodies(
        dialect, conn, "products", "product_id", [(p.product_id, p) for p in products], version
    )
    by_id = {p.product_id: p for p in products}
    dialect.executemany(conn, "DELETE FROM variants WHERE product_id = ?", [(i,) for i in changed])
    dialect.executemany(
        conn,
        "INSERT INTO variants (variant_id, product_id, size) VALUES (?, ?, ?)"
        " ON CONFLICT (variant_id) DO UPDATE SET product_id = excluded.product_id, size = excluded.size",
        [(v.variant_id, i, v.size) for i in changed for v in by_id[i].variants],
    )
    return upserted, unchanged


def _delete_products(dialect: Dialect, conn: Any, ids: Sequence[str], result: WriteResult) -> None:
    present = [
        i
        for i in dict.fromkeys(ids)
        if dialect.execute(conn, "SELECT 1 FROM products WHERE product_id = ?", (i,)).fetchall()
    ]
    for table in ("products", "variants", "stock"):
        dialect.executemany(conn, f"DELETE FROM {table} WHERE product_id = ?", [(i,) for i in present])
    dialect.executemany(conn, "DELETE FROM links WHERE product_id = ? OR linked_id = ?", [(i, i) for i in present])
    _tombstone(dialect, conn, "products", present, result.version)
    result.count("products").deleted += len(present)


def _tombstone(dialect: Dialect, conn: Any, kind: str, keys: Sequence[str], version: int) -> None:
    dialect.executemany(
        conn,
        "INSERT INTO deletions (kind, key, version) VALUES (?, ?, ?)"
        " ON CONFLICT (kind, key) DO UPDATE SET version = excluded.version",
        [(kind, key, version) for key in keys],
    )


def _enter_dataset(
    dialect: Dialect, conn: Any, dataset: DataSet | None, meta: dict[str, str], result: WriteResult
) -> None:
    current = meta.get("dataset")
    if dataset is None or current == dataset.value:
        return
    if dataset is DataSet.DEMO and current == DataSet.OWN.value:
        raise StoreError("the store holds your own data; the demo never mixes with it (use a fresh data dir)")
    if current == DataSet.DEMO.value:  # the first real import drops the whole demo data set
        for table in _TABLES:
            dialect.execute(conn, f"DELETE FROM {table}")
        dialect.execute(conn, "DELETE FROM retail_meta WHERE key = ?", ("demo_today",))
        _set_meta(dialect, conn, "reset_version", str(result.version))
        result.replaced_demo = True
    _set_meta(dialect, conn, "dataset", dataset.value)


def write(dialect: Dialect, conn: Any, batch: RetailBatch, dataset: DataSet | None) -> WriteResult:
    """Apply one batch inside the caller's write transaction."""
    meta = _meta(dialect, conn)
    result = WriteResult(version=int(meta.get("version", "0")) + 1)
    _enter_dataset(dialect, conn, dataset, meta, result)
    for kind, key, models in (
        ("stores", "store_id", [(s.store_id, s) for s in batch.stores]),
        ("offers", "offer_id", [(o.offer_id, o) for o in batch.offers]),
    ):
        upserted, unchanged, _ = _upsert_bodies(dialect, conn, kind, key, models, result.version)
        result.count(kind).upserted, result.count(kind).unchanged = upserted, unchanged
    upserted, unchanged, _ = _upsert_bodies(
        dialect, conn, "customers", "user_id", [(c.user_id, c) for c in batch.customers], None
    )
    result.count("customers").upserted, result.count("customers").unchanged = upserted, unchanged
    _write_products(dialect, conn, batch, result)
    _delete_products(dialect, conn, batch.delete_products, result)
    if batch.stock is not None:
        changed = dialect.upsert_stock(conn, batch.stock, result.version)
        result.count("stock").upserted, result.count("stock").unchanged = changed, batch.stock.num_rows - changed
    if batch.demo_today is not None:
        _set_meta(dialect, conn, "demo_today", batch.demo_today.isoformat())
    if result.changed or result.replaced_demo:
        _set_meta(dialect, conn, "version", str(result.version))
    else:
        result.version -= 1
    return result


def _load_model(model: type[M], body: str | bytes) -> M:
    return model.model_validate(orjson.loads(body))


def _models(dialect: Dialect, conn: Any, model: type[M], table: str, since: int | None = None) -> Iterator[M]:
    if since is None:
        rows = dialect.execute(conn, f"SELECT body FROM {table}").fetchall()
    else:
        rows = dialect.execute(conn, f"SELECT body FROM {table} WHERE version > ?", (since,)).fetchall()
    return (_load_model(model, body) for (body,) in rows)


def current_version(dialect: Dialect, conn: Any) -> int:
    return int(_meta(dialect, conn).get("version", "0"))


def _stock_grid(dialect: Dialect, conn: Any) -> StockGrid:
    """Every stock row as a grid, read one SKU per row: the database joins each SKU's stores and quantities."""
    stores, quantities = dialect.joined("store_id", GRID_SEPARATOR), dialect.joined("quantity", ",")
    return read_stock_grid(
        dialect.execute(
            conn,
            f"SELECT product_id, min(variant_id), min(size), {stores}, {quantities}"
            " FROM stock GROUP BY product_id, sku",
        )
    )


def load(dialect: Dialect, conn: Any) -> RetailSnapshot:
    meta = _meta(dialect, conn)
    dataset = meta.get("dataset")
    products = {p.product_id: p for p in _models(dialect, conn, Product, "products")}
    return RetailSnapshot(
        version=int(meta.get("version", "0")),
        dataset=DataSet(dataset) if dataset else None,
        products=products,
        stores={s.store_id: s for s in _models(dialect, conn, Store, "stores")},
        offers={o.offer_id: o for o in _models(dialect, conn, Offer, "offers")},
        customers={c.user_id: c for c in _models(dialect, conn, Profile, "customers")},
        stock=_stock_grid(dialect, conn),
        demo_today=date.fromisoformat(meta["demo_today"]) if "demo_today" in meta else None,
    )


def changes_since(dialect: Dialect, conn: Any, since: int) -> Changes:
    meta = _meta(dialect, conn)
    version = int(meta.get("version", "0"))
    if since >= version:
        return Changes(since=since, version=version)
    if since < int(meta.get("reset_version", "0")):
        return Changes(since=since, version=version, reset=True)
    deleted: dict[str, list[str]] = {"products": [], "stores": [], "offers": []}
    for kind, key in dialect.execute(conn, "SELECT kind, key FROM deletions WHERE version > ?", (since,)).fetchall():
        deleted.setdefault(kind, []).append(key)
    stock = read_stock_rows(
        dialect.execute(
            conn, "SELECT product_id, variant_id, size, store_id, quantity FROM stock WHERE version > ?", (since,)
        )
    )
    return Changes(
        since=since,
        version=version,
        products=list(_models(dialect, conn, Product, "products", since)),
        deleted_products=deleted["products"],
        stores=list(_models(dialect, conn, Store, "stores", since)),
        deleted_stores=deleted["stores"],
        offers=list(_models(dialect, conn, Offer, "offers", since)),
        deleted_offers=deleted["offers"],
        stock=stock,
    )


def load_dataset(dialect: Dialect, conn: Any) -> DataSet | None:
    value = _meta(dialect, conn).get("dataset")
    return DataSet(value) if value else None


def product_ids(dialect: Dialect, conn: Any) -> dict[str, str]:
    ids = {row[0]: row[0] for row in dialect.execute(conn, "SELECT product_id FROM products").fetchall()}
    ids.update(dict(dialect.execute(conn, "SELECT variant_id, product_id FROM variants").fetchall()))
    return ids


def variants(dialect: Dialect, conn: Any) -> dict[str, tuple[str, str | None]]:
    rows = dialect.execute(conn, "SELECT variant_id, product_id, size FROM variants").fetchall()
    return {variant_id: (product_id, size) for variant_id, product_id, size in rows}


def store_ids(dialect: Dialect, conn: Any) -> set[str]:
    return {row[0] for row in dialect.execute(conn, "SELECT store_id FROM stores").fetchall()}
