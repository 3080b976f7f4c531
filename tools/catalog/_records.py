"""How a product becomes a Chroma record (embedded text, four metadata keys) and what memory keeps of it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from nextbest.contracts import Product

from ._shelf import Held, Shelf

# Bump when document_text or the metadata layout changes: every product then re-embeds once.
RECORD_VERSION = 2

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
    """Changes exactly when the embedded text or the filterable attributes change."""
    payload = {
        "v": RECORD_VERSION,
        "doc": document_text(product),
        "category": product.category,
        "price": product.price,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:32]


def record(product: Product) -> tuple[Held, dict[str, str | float]]:
    """What memory keeps of a product, and the same as Chroma metadata (so a restart can read it back).

    Four keys only: Chroma's write cost grows with metadata keys, and nothing is filtered inside Chroma.
    """
    held = Held(product.title, product.category, float(product.price), content_hash(product))
    return held, {"title": held.title, "category": held.category, "price": held.price, HASH_KEY: held.content_hash}


def held_from(meta: Mapping[str, Any]) -> Held:
    return Held(str(meta["title"]), str(meta["category"]), float(meta["price"]), str(meta[HASH_KEY]))


@dataclass
class UpsertPlan:
    added: list[Product] = field(default_factory=list)
    updated: list[Product] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)

    @property
    def to_embed(self) -> list[Product]:
        return [*self.added, *self.updated]


def plan_upsert(wanted: Mapping[str, Product], shelf: Shelf) -> UpsertPlan:
    """Compare the wanted catalog with what the index holds, by content hash."""
    plan = UpsertPlan(removed=sorted(product_id for product_id, _ in shelf.items() if product_id not in wanted))
    for product_id, product in wanted.items():
        held = shelf.get(product_id)
        if held is None:
            plan.added.append(product)
        elif held.content_hash != content_hash(product):
            plan.updated.append(product)
        else:
            plan.unchanged += 1
    return plan
