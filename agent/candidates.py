"""Gather candidates for one playbook with the tools, before anyone decides.

Every id a decision may carry comes from here, so validation can reject anything else.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from nextbest.contracts import (
    CandidateSet,
    Channel,
    DecideRequest,
    Offer,
    OfferCandidate,
    OfferCheck,
    Product,
    ProductCandidate,
    Store,
)
from nextbest.errors import NextbestError
from nextbest.policy import Playbook
from tools.inventory import InventoryAdapter
from tools.offers import OfferEligibility

from ._sources import SourceHit, hits_for_source
from .catalog_view import CatalogView, ProductSearch

__all__ = ["CandidateTools", "ChannelPermissions", "gather_candidates"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CandidateTools:
    catalog: CatalogView
    inventory: InventoryAdapter
    offers: OfferEligibility
    offer_catalog: Mapping[str, Offer]
    search: ProductSearch | None


@dataclass(frozen=True)
class ChannelPermissions:
    """What the pre-model guardrails left open for this request."""

    channels: Sequence[Channel]
    blocked_offer_ids: frozenset[str] = frozenset()
    promotions_allowed: bool = True
    redemptions: dict[str, int] | None = None


def _allowed_channels(playbook: Playbook, request: DecideRequest, permissions: ChannelPermissions) -> list[Channel]:
    caller = set(request.channels) if request.channels is not None else None
    return [
        channel
        for channel in playbook.channels
        if channel in permissions.channels and (caller is None or channel in caller)
    ]


def _placements(playbook: Playbook, request: DecideRequest) -> list[str]:
    if request.placements is None:
        return list(playbook.placements)
    return [placement for placement in playbook.placements if placement in request.placements]


def _to_candidate(
    hit: SourceHit, product: Product, tools: CandidateTools, store: Store | None
) -> ProductCandidate | None:
    store_id = store.store_id if store is not None else None
    levels = [level for level in tools.inventory.levels(product.product_id) if level.quantity > 0]
    if store_id is not None:
        levels = [level for level in levels if level.store_id == store_id]
    if not levels:
        return None
    sizes = sorted({level.size for level in levels if level.size}, key=_size_order(product))
    return ProductCandidate(
        product_id=product.product_id,
        title=product.title,
        category=product.category,
        price=product.price,
        description=product.description[:400],
        sizes_in_stock=sizes,
        preferred_size=hit.size,
        available=sum(level.quantity for level in levels),
        store_id=store_id,
        source=hit.source.value,
        relevance=hit.relevance,
    )


def _size_order(product: Product) -> Callable[[str], int]:
    order = {size: index for index, size in enumerate(product.sizes)}
    return lambda size: order.get(size, len(order))


def _products(
    playbook: Playbook, request: DecideRequest, tools: CandidateTools, store: Store | None, errors: list[str]
) -> tuple[list[ProductCandidate], ProductCandidate | None]:
    hits: list[SourceHit] = []
    anchor: SourceHit | None = None
    for source in playbook.candidates.products:
        try:
            found, source_anchor = hits_for_source(source, request, tools.catalog, tools.search, store, tools.inventory)
        except NextbestError as exc:
            errors.append(f"{source.value}: {exc}")
            log.warning("candidate source %s failed: %s", source.value, exc)
            continue
        hits.extend(found)
        anchor = anchor or source_anchor
    chosen: list[ProductCandidate] = []
    seen: set[str] = set()
    for hit in hits:
        product = tools.catalog.get(hit.product_id)
        if product is None or hit.product_id in seen:
            continue
        seen.add(hit.product_id)
        candidate = _to_candidate(hit, product, tools, store)
        if candidate is not None:
            chosen.append(candidate)
        if len(chosen) >= playbook.candidates.max_products:
            break
    return chosen, _anchor_candidate(anchor, tools.catalog)


def _anchor_candidate(hit: SourceHit | None, catalog: CatalogView) -> ProductCandidate | None:
    product = catalog.get(hit.product_id) if hit else None
    if hit is None or product is None:
        return None
    return ProductCandidate(
        product_id=product.product_id,
        title=product.title,
        category=product.category,
        price=product.price,
        source=hit.source.value,
        relevance=1.0,
    )


def _offers(
    playbook: Playbook,
    request: DecideRequest,
    tools: CandidateTools,
    permissions: ChannelPermissions,
    channel: Channel | None,
    now: datetime,
    store_nearby: bool,
) -> tuple[list[OfferCandidate], list[OfferCheck]]:
    if not playbook.offer_pools or not permissions.promotions_allowed:
        return [], []
    cart_value = sum((item.price or 0) * item.quantity for item in request.event.properties.cart)
    checks = tools.offers.check(
        profile=request.profile,
        event=request.event,
        channel=channel,
        cart_value=cart_value,
        now=now,
        redemptions=permissions.redemptions or {},
        store_nearby=store_nearby,
        pools=playbook.offer_pools,
    )
    eligible: list[OfferCandidate] = []
    for check in checks:
        offer = tools.offer_catalog.get(check.offer_id)
        if not check.eligible or offer is None or check.offer_id in permissions.blocked_offer_ids:
            continue
        eligible.append(OfferCandidate.of(offer, discount_percent=check.discount_percent))
    return eligible, [check for check in checks if not check.eligible]


def gather_candidates(
    playbook: Playbook,
    request: DecideRequest,
    tools: CandidateTools,
    permissions: ChannelPermissions,
    *,
    now: datetime,
    nearest: tuple[Store, float] | None = None,
) -> CandidateSet:
    """Run every tool the playbook asks for; a failing source is recorded, not fatal."""
    errors: list[str] = []
    radius = playbook.candidates.store_radius_km
    store = nearest[0] if nearest is not None and radius is not None and nearest[1] <= radius else None
    channels = _allowed_channels(playbook, request, permissions)
    products, anchor = _products(playbook, request, tools, store, errors)
    offers, ineligible = _offers(
        playbook, request, tools, permissions, channels[0] if channels else None, now, store is not None
    )
    return CandidateSet(
        playbook_id=playbook.id,
        anchor=anchor,
        products=products,
        offers=offers,
        ineligible_offers=ineligible,
        channels=channels,
        placements=_placements(playbook, request),
        store=store,
        store_distance_km=round(nearest[1], 3) if store is not None and nearest is not None else None,
        tool_errors=errors,
    )
