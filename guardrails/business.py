"""Business limits: discounts within the ceiling, offers inside their validity, products in stock."""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterator, Mapping
from datetime import datetime

from nextbest.contracts import ActionKind, ActionProposal, GuardrailStage, Offer

from ._rules import Outcome, PostContext, PrePrune, adjusted, blocked, passed, single
from .context import GuardrailInput
from .policy import BusinessLimits

__all__ = ["OFFER", "STOCK", "OfferBook", "offer_after", "offer_before", "offer_problem", "stock_after"]

OFFER = "offer_limits"
STOCK = "stock"
_PRE = GuardrailStage.PRE


def offer_problem(limits: BusinessLimits, offer: Offer, at: datetime) -> str | None:
    """Why the offer may not go out at `at`, or None when it may."""
    if offer.discount_percent > limits.max_discount_percent:
        return (
            f"offer {offer.offer_id} discount {offer.discount_percent:g}% "
            f"exceeds the {limits.max_discount_percent:g}% maximum"
        )
    if not limits.enforce_offer_validity:
        return None
    valid_from, valid_until = offer.eligibility.valid_from, offer.eligibility.valid_until
    if valid_from is not None and at < valid_from:
        return f"offer {offer.offer_id} is not valid before {valid_from:%Y-%m-%d %H:%M %Z}"
    if valid_until is not None and at >= valid_until:
        return f"offer {offer.offer_id} expired at {valid_until:%Y-%m-%d %H:%M %Z}"
    return None


def _problems(limits: BusinessLimits, offers: Mapping[str, Offer], at: datetime) -> dict[str, str]:
    return {
        offer_id: problem
        for offer_id, offer in offers.items()
        if (problem := offer_problem(limits, offer, at)) is not None
    }


class OfferBook(Mapping[str, Offer]):
    """An offer catalogue that knows when the answer of `offer_problem` can change.

    Which offers break the business limits depends on the limits and on the time only through the offers'
    validity boundaries, so the book keeps its last answer until the clock crosses a boundary or other
    limits ask: one judgement per policy version and boundary, not one per offer per request.
    """

    def __init__(self, offers: Mapping[str, Offer]) -> None:
        self._offers = dict(offers)
        edges = {
            edge
            for offer in self._offers.values()
            for edge in (offer.eligibility.valid_from, offer.eligibility.valid_until)
            if edge is not None
        }
        self._edges = sorted(edge.timestamp() for edge in edges)
        self._last: tuple[BusinessLimits, float, float, dict[str, str]] | None = None

    def __getitem__(self, offer_id: str) -> Offer:
        return self._offers[offer_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._offers)

    def __len__(self) -> int:
        return len(self._offers)

    def problems(self, limits: BusinessLimits, at: datetime) -> Mapping[str, str]:
        """Offer id → why it may not go out at `at` (`offer_problem`), for every offer that may not."""
        stamp = at.timestamp()
        last = self._last
        if last is not None and last[0] is limits and last[1] <= stamp < last[2]:
            return last[3]
        found = _problems(limits, self._offers, at)
        after = bisect.bisect_right(self._edges, stamp)  # the answer holds from the boundary before `at` ...
        since = self._edges[after - 1] if after else -math.inf
        until = self._edges[after] if after < len(self._edges) else math.inf  # ... up to the next one
        self._last = (limits, since, until, found)
        return found


def offer_before(inp: GuardrailInput, offers: Mapping[str, Offer]) -> PrePrune:
    limits = inp.policy.business
    if isinstance(offers, OfferBook):
        problems: Mapping[str, str] = offers.problems(limits, inp.now)
    else:
        problems = _problems(limits, offers, inp.now)
    if not problems:
        return PrePrune(passed(OFFER, f"{len(offers)} offer(s) within limits", _PRE))
    return PrePrune(adjusted(OFFER, "; ".join(problems.values()), _PRE), block_offers=frozenset(problems))


def offer_after(proposal: ActionProposal, ctx: PostContext) -> Outcome:
    if proposal.action is ActionKind.NONE or proposal.offer_id is None:
        return single(passed(OFFER, "no offer"), proposal)
    offer = ctx.offers.get(proposal.offer_id)
    if offer is None:
        return single(blocked(OFFER, f"unknown offer {proposal.offer_id}"), proposal)
    problem = offer_problem(ctx.inp.policy.business, offer, ctx.send_time(proposal))
    if problem is not None:
        return single(blocked(OFFER, problem), proposal)
    return single(passed(OFFER, f"offer {offer.offer_id} at {offer.discount_percent:g}% within limits"), proposal)


def stock_after(proposal: ActionProposal, ctx: PostContext) -> Outcome:
    if not ctx.inp.policy.business.block_out_of_stock or not proposal.products:
        return single(passed(STOCK, "no products to check"), proposal)
    in_stock = [ctx.stock(product.product_id, product.size) > 0 for product in proposal.products]
    kept = [product for product, ok in zip(proposal.products, in_stock, strict=True) if ok]
    gone = [product.product_id for product, ok in zip(proposal.products, in_stock, strict=True) if not ok]
    if not gone:
        return single(passed(STOCK, f"{len(kept)} product(s) in stock"), proposal)
    if not kept:
        return single(blocked(STOCK, f"every product is out of stock: {', '.join(gone)}"), proposal)
    trimmed = proposal.model_copy(update={"products": kept})
    return single(adjusted(STOCK, f"dropped out-of-stock product(s): {', '.join(gone)}"), trimmed)
