"""Gather candidates for one playbook with the tools, before anyone decides.

Products come from the playbook's sources (`tools.candidates.SOURCES`), offers from the checker, both
narrowed by what the guardrails left open. Every id a decision may carry comes from here or from a model
tool that vouched for it, so validation can reject anything else.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from guardrails.business import OfferBook
from nextbest.contracts import (
    CandidateSet,
    Channel,
    DecideRequest,
    Offer,
    OfferCandidate,
    OfferCheck,
    ProductCandidate,
    Store,
)
from nextbest.policy import OffersFile, Playbook, merge_offers
from tools.candidates import CatalogView, SourceInput, find_products
from tools.catalog import CatalogSearch
from tools.data import RetailData
from tools.inventory import InventoryAdapter
from tools.offers import OfferChecker, context_ids

__all__ = ["CandidateTools", "ChannelPermissions", "gather_candidates"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CandidateTools:
    """What gathering reads: the catalog, stock, the offer checker and book, and retrieval when it is up.

    The context's tools hold the stored offers; `under(policy's offers file)` gives the tools one decision
    uses, whose book is the stored offers merged with the marketer's file."""

    catalog: CatalogView
    inventory: InventoryAdapter
    offers: OfferChecker
    offer_catalog: Mapping[str, Offer]
    search: CatalogSearch | None
    data: RetailData | None = None
    """The data view the parts above come from; resolves variant ids to their product group."""

    # The last books built, by the offers file they were built for: one per policy version, not per request.
    _books: dict[int, tuple[OffersFile, CandidateTools]] = field(default_factory=dict, compare=False, repr=False)

    def under(self, offers_file: OffersFile) -> CandidateTools:
        """These tools with the effective offer book of a policy set's offers file."""
        cached = self._books.get(id(offers_file))
        if cached is not None and cached[0] is offers_file:
            return cached[1]
        merged = merge_offers(self.offer_catalog, offers_file)
        if merged.collisions or merged.unknown_overlays:  # lint reports these at file:line; say it once per book
            log.warning(
                "offers.yaml: stored offers kept over %s; overlays of unknown offers ignored: %s",
                list(merged.collisions),
                list(merged.unknown_overlays),
            )
        book = OfferBook(merged.offers)
        tools = replace(self, offers=self.offers.with_offers(book), offer_catalog=book, _books={})
        if len(self._books) >= 2:  # a reload replaced the older one; keep the current and the previous
            self._books.pop(next(iter(self._books)))
        self._books[id(offers_file)] = (offers_file, tools)
        return tools


@dataclass(frozen=True)
class ChannelPermissions:
    """What the pre-model guardrails left open for this request."""

    channels: Sequence[Channel]
    blocked_offer_ids: frozenset[str] = frozenset()
    promotions_allowed: bool = True
    redemptions: dict[str, int] | None = None


def _allowed_channels(playbook: Playbook, request: DecideRequest, permissions: ChannelPermissions) -> list[Channel]:
    caller = set(request.channels) if request.channels is not None else None
    open_ = [
        channel
        for channel in playbook.channels
        if channel in permissions.channels and (caller is None or channel in caller)
    ]
    # An on-site answer goes where the customer is: the event's own surface first (an app event in the app).
    surface = request.event.context.surface
    return sorted(open_, key=lambda channel: channel.value != surface)


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
    promoted: Sequence[str] = (),
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
        select=playbook.draws,
        promoted=promoted,
    )
    currency = _currency(request, tools.catalog)
    eligible: list[OfferCandidate] = []
    for check in checks:
        offer = tools.offer_catalog.get(check.offer_id)
        if not check.eligible or offer is None or check.offer_id in permissions.blocked_offer_ids:
            continue
        eligible.append(OfferCandidate.of(offer, discount_percent=check.discount_percent, currency=currency))
    return eligible, [check for check in checks if not check.eligible]


def _currency(request: DecideRequest, catalog: CatalogView) -> str:
    """The currency money-off amounts are said in: that of the first known product in context."""
    props = request.event.properties
    ids = [props.product_id, *(item.product_id for item in props.cart)]
    found = (catalog.get(pid) for pid in ids if pid is not None)
    return next(
        (product.currency for product in found if product is not None), OfferCandidate.model_fields["currency"].default
    )


def _favour_offered(
    products: list[ProductCandidate], offers: Sequence[OfferCandidate], tools: CandidateTools
) -> list[ProductCandidate]:
    """Products an eligible product-specific offer covers rank above the rest, each group in its own order."""

    def covered(candidate: ProductCandidate) -> bool:
        return any(tools.offers.applies_to(offer.offer_id, candidate.product_id) for offer in offers)

    return [
        product.model_copy(
            update={"relevance": round((1 + product.relevance if covered(product) else product.relevance) / 2, 4)}
        )
        for product in products
    ]


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
    # An event that names no product (a location ping) is promoted with the products found for it, so an offer
    # for some products only can apply, and the products it covers then rank first.
    promoted = [] if context_ids(request.event) else [product.product_id for product in products]
    offers, ineligible = _offers(
        playbook, request, tools, permissions, channels[0] if channels else None, now, store is not None, promoted
    )
    if promoted and offers:
        products = _favour_offered(products, offers, tools)
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
