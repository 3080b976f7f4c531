"""Live changes: `PUT`/`DELETE /v1/catalog/products/{id}`, `POST /v1/inventory`, `POST /v1/stores` (secret key).

Each call is one all-or-nothing write through the retail store, the way `nextbest import` writes: a store still
holding the demo data set drops it first. Inventory goes through the import itself (`import_feed`), so an `id`
resolves as a feed's does (a variant id or a product group id). A bad item is a 422 naming its index and field,
and nothing is stored. The worker that served the write applies it before answering; every other worker
sees it on its next data poll (`NEXTBEST_DATA_POLL_MS`).
"""

from __future__ import annotations

from typing import Annotated, Any

import pyarrow as pa
from fastapi import Depends, FastAPI, HTTPException, Path, Request
from fastapi.exceptions import RequestValidationError

from nextbest.app.bootstrap import Runtime
from nextbest.contracts import Identifier, InventoryWrite, KindCounts, Product, StoresWrite, WriteAck
from nextbest.imports import Feed, FeedRejectedError, Source, import_feed
from nextbest.retail import DataSet, RetailBatch, RetailStore, WriteResult

from ._scopes import authorize

__all__ = ["install_write_routes"]

_WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {409: {}, 503: {}}


async def _store(request: Request) -> RetailStore:
    runtime: Runtime = request.app.state.runtime
    if runtime.retail is None:
        raise HTTPException(409, "this server decides over a world handed in at start-up; it has no retail store")
    return runtime.retail


StoreDep = Annotated[RetailStore, Depends(_store)]


def _invalid(*errors: tuple[tuple[str | int, ...], str]) -> RequestValidationError:
    """A 422 shaped like FastAPI's own: each error's `loc` names the item index and field."""
    return RequestValidationError([{"loc": ("body", *loc), "msg": msg, "type": "value_error"} for loc, msg in errors])


async def _ack(request: Request, result: WriteResult) -> WriteAck:
    runtime: Runtime = request.app.state.runtime
    if runtime.refresher is not None:  # this worker serves the change before it answers
        await runtime.refresher.refresh()
    changed = {
        kind: KindCounts(upserted=c.upserted, unchanged=c.unchanged, deleted=c.deleted)
        for kind, c in result.counts.items()
        if c.upserted or c.unchanged or c.deleted
    }
    return WriteAck(version=result.version, changed=changed, replaced_demo=result.replaced_demo)


async def _own_ids(store: RetailStore) -> dict[str, str]:
    """Every product and variant id → its group; nothing while the store holds the demo (a write drops it)."""
    return await store.product_ids() if await store.dataset() is DataSet.OWN else {}


def _variant_clashes(product: Product, known: dict[str, str]) -> list[tuple[tuple[str | int, ...], str]]:
    errors: list[tuple[tuple[str | int, ...], str]] = []
    seen: set[str] = set()
    for index, variant in enumerate(product.variants):
        owner = known.get(variant.variant_id, product.product_id)
        if variant.variant_id in seen:
            errors.append((("variants", index, "variant_id"), f"{variant.variant_id!r} is given twice"))
        elif owner != product.product_id:
            errors.append((("variants", index, "variant_id"), f"{variant.variant_id!r} belongs to product {owner!r}"))
        seen.add(variant.variant_id)
    return errors


def _first_repeat(keys: list[Any]) -> int | None:
    """The index of the first key given a second time."""
    seen: set[Any] = set()
    for index, key in enumerate(keys):
        if key in seen:
            return index
        seen.add(key)
    return None


def _stock_source(body: InventoryWrite) -> Source:
    """The items as a local inventory feed, its rows named by item index (`items:0`, ...)."""
    columns = {
        "id": [item.id for item in body.items],
        "store_code": [item.store_code for item in body.items],
        "quantity": [str(item.quantity) for item in body.items],
    }
    return Source("items", pa.table({name: pa.array(values, pa.string()) for name, values in columns.items()}), 0)


def install_write_routes(app: FastAPI) -> None:
    authorized = [Depends(authorize)]

    @app.put(
        "/v1/catalog/products/{product_id}",
        response_model=WriteAck,
        dependencies=authorized,
        tags=["live changes"],
        responses=_WRITE_RESPONSES,
    )
    async def put_product(
        product_id: Annotated[Identifier, Path()], body: Product, store: StoreDep, request: Request
    ) -> WriteAck:
        """Upsert one product with its variants (the body's variants replace the stored ones)."""
        if body.product_id != product_id:
            message = f"body product_id {body.product_id!r} differs from the path's {product_id!r}"
            raise _invalid((("product_id",), message))
        known = await _own_ids(store)
        if known.get(product_id, product_id) != product_id:
            raise _invalid((("product_id",), f"{product_id!r} is a variant of product {known[product_id]!r}"))
        clashes = _variant_clashes(body, known)
        if clashes:
            raise _invalid(*clashes)
        return await _ack(request, await store.write(RetailBatch(products=[body]), dataset=DataSet.OWN))

    @app.delete(
        "/v1/catalog/products/{product_id}",
        response_model=WriteAck,
        dependencies=authorized,
        tags=["live changes"],
        responses={404: {}, **_WRITE_RESPONSES},
    )
    async def delete_product(product_id: Annotated[Identifier, Path()], store: StoreDep, request: Request) -> WriteAck:
        """Delete one product (by its group id) with its variants, stock and links."""
        known = await _own_ids(store)
        if known.get(product_id) != product_id:
            raise HTTPException(404, f"unknown product {product_id!r}")
        return await _ack(request, await store.write(RetailBatch(delete_products=[product_id]), dataset=DataSet.OWN))

    @app.post(
        "/v1/inventory",
        response_model=WriteAck,
        dependencies=authorized,
        tags=["live changes"],
        responses=_WRITE_RESPONSES,
    )
    async def post_inventory(body: InventoryWrite, store: StoreDep, request: Request) -> WriteAck:
        """Set the units of SKUs at stores. `id` is a variant id, or a product group id sold as one SKU."""
        twice = _first_repeat([(item.id, item.store_code) for item in body.items])
        if twice is not None:
            item = body.items[twice]
            raise _invalid((("items", twice, "id"), f"{item.id!r} at store {item.store_code!r} is given twice"))
        try:
            report = await import_feed(store, Feed(kind="inventory", source=_stock_source(body)))
        except FeedRejectedError as exc:
            raise _invalid(*((("items", e.row, e.column), e.message) for e in exc.errors)) from exc
        assert report.result is not None
        return await _ack(request, report.result)

    @app.post(
        "/v1/stores",
        response_model=WriteAck,
        dependencies=authorized,
        tags=["live changes"],
        responses=_WRITE_RESPONSES,
    )
    async def post_stores(body: StoresWrite, store: StoreDep, request: Request) -> WriteAck:
        """Upsert stores (GMC `store_code` is `store_id`)."""
        duplicate = _first_repeat([s.store_id for s in body.stores])
        if duplicate is not None:
            raise _invalid((("stores", duplicate, "store_id"), f"{body.stores[duplicate].store_id!r} is given twice"))
        return await _ack(request, await store.write(RetailBatch(stores=body.stores), dataset=DataSet.OWN))
