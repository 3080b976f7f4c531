"""Gather candidates for one playbook with the tools, before anyone decides.

Products come from the playbook's sources (`tools.candidates.SOURCES`), offers from the checker, both
narrowed by what the guardrails left open. Every id a decision may carry comes from here or from a model
tool that vouched for it, so validation can reject anything else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from nextbest.contracts import CandidateSet, Channel, DecideRequest, Offer, OfferCandidate, OfferCheck, Store
from nextbest.policy import Playbook
from tools.candidates import CatalogView, SourceInput, find_products
from tools.catalog import CatalogSearch
from tools.data import RetailData
from tools.inventory import InventoryAdapter
from tools.offers import OfferChecker

__all__ = ["CandidateTools", "ChannelPermissions", "gather_candidates"]


@dataclass(frozen=True)
class CandidateTools:
    """What gathering reads: the catalog, stock, the offer checker and book, and retrieval when it is up."""

    catalog: CatalogView
    inventory: InventoryAdapter
    offers: OfferChecker
    offer_catalog: Mapping[str, Offer]
    search: CatalogSearch | None
    data: RetailData | None = None
    """The data view the parts above come from; resolves variant ids to their product group."""


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
    given = SourceInput(request, tools.catalog, tools.inventory, search=tools.search, store=store)
    spec = playbook.candidates
    products, anchor = find_products(spec.products, given, max_products=spec.max_products, errors=errors)
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
