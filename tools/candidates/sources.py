"""Candidate sources, one object each, listed once: the names a playbook's `candidates.products` may use.

A source is a name (a `ProductSource`, so playbook lint can reject an unknown one with file:line), what it
needs beyond the request and the catalog, and the function that ranks product ids for the moment.
Adding a source: its value in `ProductSource` (nextbest/policy/_playbook.py), its function in `_finders.py`,
and one line in SOURCES below.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from nextbest.contracts import ProductCandidate
from nextbest.errors import NextbestError
from nextbest.policy import ProductSource

from . import _finders
from ._finders import Hits, SourceHit, SourceInput
from .build import anchor_candidate, product_candidate

__all__ = ["SOURCES", "CandidateSource", "Need", "SourceHit", "SourceInput", "find_products"]

log = logging.getLogger(__name__)


class Need(StrEnum):
    """An input a source cannot work without; when it is missing the source is skipped."""

    STORE = "store"


@dataclass(frozen=True)
class CandidateSource:
    name: ProductSource
    find: Callable[[SourceInput], Hits]
    needs: frozenset[Need] = frozenset()
    event_bound: bool = False
    """Returns only what the event itself carries (its cart, its order), so it never fills `max_products`."""

    def ready(self, given: SourceInput) -> bool:
        return Need.STORE not in self.needs or given.store is not None


_LISTED = (
    CandidateSource(ProductSource.CART, _finders.cart, event_bound=True),
    CandidateSource(ProductSource.EVENT_PRODUCT, _finders.event_product, event_bound=True),
    CandidateSource(ProductSource.BOUGHT_TOGETHER, _finders.bought_together),
    CandidateSource(ProductSource.COMPATIBLE, _finders.compatible),
    CandidateSource(ProductSource.SESSION_INTENT, _finders.session_intent),
    CandidateSource(ProductSource.HISTORY_AFFINITY, _finders.history_affinity),
    CandidateSource(ProductSource.ORDER_ITEMS, _finders.order_items, event_bound=True),
    CandidateSource(ProductSource.ORDER_PAIRS, _finders.order_pairs),
    CandidateSource(ProductSource.NEARBY_STOCK, _finders.nearby_stock, needs=frozenset({Need.STORE})),
    CandidateSource(ProductSource.BROWSED_CATEGORY, _finders.browsed_category),
)
SOURCES: Mapping[ProductSource, CandidateSource] = {source.name: source for source in _LISTED}


def _hits(
    names: Sequence[ProductSource], given: SourceInput, errors: list[str]
) -> tuple[list[SourceHit], SourceHit | None]:
    hits: list[SourceHit] = []
    anchor: SourceHit | None = None
    for name in names:
        source = SOURCES[name]
        if not source.ready(given):
            continue
        try:
            found, source_anchor = source.find(given)
        except NextbestError as exc:
            errors.append(f"{name.value}: {exc}")
            log.warning("candidate source %s failed: %s", name.value, exc)
            continue
        hits.extend(found)
        anchor = anchor or source_anchor
    return hits, anchor


def find_products(
    names: Sequence[ProductSource], given: SourceInput, *, max_products: int, errors: list[str]
) -> tuple[list[ProductCandidate], ProductCandidate | None]:
    """Up to `max_products` in-stock candidates from the named sources, in order, and the anchor.

    A failing source is recorded in `errors` and skipped, never fatal.
    """
    hits, anchor = _hits(names, given, errors)
    store_id = given.store.store_id if given.store is not None else None
    chosen: list[ProductCandidate] = []
    seen: set[str] = set()
    for hit in hits:
        product = given.catalog.get(hit.product_id)
        if product is None or hit.product_id in seen:
            continue
        seen.add(hit.product_id)
        candidate = product_candidate(
            product,
            given.inventory.in_stock(product.product_id, store_id=store_id),
            source=hit.source.value,
            relevance=hit.relevance,
            preferred_size=hit.size,
            store_id=store_id,
        )
        if candidate is not None:
            chosen.append(candidate)
        if len(chosen) >= max_products:
            break
    anchor_product = given.catalog.get(anchor.product_id) if anchor is not None else None
    if anchor is None or anchor_product is None:
        return chosen, None
    return chosen, anchor_candidate(anchor_product, source=anchor.source.value)
