"""How a product becomes a Chroma record, how a filter becomes a `where`, how a result becomes hits."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from nextbest.contracts import Product

from .models import CatalogFilter, CatalogHit

# Bump when document_text or the metadata layout changes: every product then re-embeds once.
RECORD_VERSION = 1

HASH_KEY = "content_hash"


def humanise(label: str) -> str:
    """`memory_cards` -> `memory cards`: category slugs read as words to both embedders."""
    return label.replace("_", " ").replace("-", " ").strip()


def document_text(product: Product) -> str:
    """The text that is embedded: everything a shopper might describe, title first."""
    parts = [product.title, humanise(product.category)]
    if product.subcategory:
        parts.append(humanise(product.subcategory))
    if product.brand:
        parts.append(product.brand)
    if product.tags:
        parts.append(", ".join(humanise(tag) for tag in product.tags))
    if product.description:
        parts.append(product.description)
    return ". ".join(part for part in parts if part)


def content_hash(product: Product) -> str:
    """Changes exactly when the embedded text or the filterable attributes change (not stock)."""
    payload = {
        "v": RECORD_VERSION,
        "doc": document_text(product),
        "category": product.category,
        "price": product.price,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:32]


def metadata(product: Product, in_stock: bool) -> dict[str, str | float | bool]:
    meta: dict[str, str | float | bool] = {
        "product_id": product.product_id,
        "title": product.title,
        "category": product.category,
        "price": float(product.price),
        "in_stock": in_stock,
        HASH_KEY: content_hash(product),
    }
    # Chroma rejects None metadata values, so optional attributes are only set when present.
    if product.subcategory:
        meta["subcategory"] = product.subcategory
    if product.brand:
        meta["brand"] = product.brand
    return meta


@dataclass
class UpsertPlan:
    added: list[Product] = field(default_factory=list)
    updated: list[Product] = field(default_factory=list)
    unchanged: int = 0
    restock: dict[str, bool] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)

    @property
    def to_embed(self) -> list[Product]:
        return [*self.added, *self.updated]


def plan_upsert(
    wanted: Mapping[str, Product], existing: Mapping[str, Mapping[str, Any]], stock: Callable[[str], int]
) -> UpsertPlan:
    """Compare the wanted catalog with what the index holds, by content hash and stock flag."""
    plan = UpsertPlan(removed=sorted(set(existing) - set(wanted)))
    for product_id, product in wanted.items():
        held = existing.get(product_id)
        if held is None:
            plan.added.append(product)
        elif held.get(HASH_KEY) != content_hash(product):
            plan.updated.append(product)
        else:
            plan.unchanged += 1
            in_stock = stock(product_id) > 0
            if held.get("in_stock") is not in_stock:
                plan.restock[product_id] = in_stock
    return plan


def where_clause(flt: CatalogFilter) -> dict[str, Any] | None:
    """Translate a filter into Chroma's `where`; None when nothing constrains the search."""
    clauses: list[dict[str, Any]] = []
    if flt.in_stock:
        clauses.append({"in_stock": True})
    if flt.categories:
        clauses.append({"category": {"$in": list(flt.categories)}})
    if flt.min_price is not None:
        clauses.append({"price": {"$gte": float(flt.min_price)}})
    if flt.max_price is not None:
        clauses.append({"price": {"$lte": float(flt.max_price)}})
    if flt.exclude_ids:
        clauses.append({"product_id": {"$nin": list(flt.exclude_ids)}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def admits(flt: CatalogFilter, hit: CatalogHit) -> bool:
    """The filter `where_clause` builds, judged in Python on a hit's metadata: the same five conditions."""
    return (
        (hit.in_stock or not flt.in_stock)
        and (not flt.categories or hit.category in flt.categories)
        and (flt.min_price is None or hit.price >= flt.min_price)
        and (flt.max_price is None or hit.price <= flt.max_price)
        and hit.product_id not in flt.exclude_ids
    )


def similarity(distance: float) -> float:
    """Cosine distance (0..2) to a 0..1 score; opposite directions score 0, not negative."""
    return max(0.0, min(1.0, 1.0 - distance))


def hits_from(metadatas: Sequence[Mapping[str, Any]], distances: Sequence[float]) -> list[CatalogHit]:
    return [
        CatalogHit(
            product_id=str(meta["product_id"]),
            title=str(meta["title"]),
            category=str(meta["category"]),
            price=float(meta["price"]),
            in_stock=bool(meta["in_stock"]),
            score=similarity(float(distance)),
        )
        for meta, distance in zip(metadatas, distances, strict=True)
    ]
