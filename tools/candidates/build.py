"""Product → candidate, in one place: every candidate a decision carries is built here."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from nextbest.contracts import Product, ProductCandidate

__all__ = ["DESCRIPTION_CHARS", "anchor_candidate", "product_candidate"]

DESCRIPTION_CHARS = 400
"""A candidate's description is cut here: enough for the model to write copy, short enough for the prompt."""


def product_candidate(
    product: Product,
    stock: Mapping[str | None, int],
    *,
    source: str,
    relevance: float,
    preferred_size: str | None = None,
    store_id: str | None = None,
) -> ProductCandidate | None:
    """The product as a candidate, or None when it holds no unit.

    `stock` is `InventoryAdapter.in_stock(product_id, store_id=store_id)`: units per size, sizes with units only.
    """
    stocked = {size: units for size, units in stock.items() if units > 0}
    if not stocked:
        return None
    return ProductCandidate(
        product_id=product.product_id,
        title=product.title,
        category=product.category,
        price=product.price,
        description=product.description[:DESCRIPTION_CHARS],
        sizes_in_stock=sorted((size for size in stocked if size), key=_size_order(product)),
        preferred_size=preferred_size,
        available=sum(stocked.values()),
        store_id=store_id,
        source=source,
        relevance=max(0.0, min(relevance, 1.0)),
    )


def anchor_candidate(product: Product, *, source: str) -> ProductCandidate:
    """What the moment is about (the viewed product, the order): named, never offered, so no stock figures."""
    return ProductCandidate(
        product_id=product.product_id,
        title=product.title,
        category=product.category,
        price=product.price,
        source=source,
        relevance=1.0,
    )


def _size_order(product: Product) -> Callable[[str], tuple[int, str]]:
    """Sizes in the product's own run (S, M, L), not alphabetically; unknown sizes last, by name."""
    order = {size: index for index, size in enumerate(product.sizes)}
    return lambda size: (order.get(size, len(order)), size)
