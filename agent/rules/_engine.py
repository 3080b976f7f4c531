"""The deterministic rules engine: a playbook's fallback rules applied to the gathered candidates.

It is pure (no I/O, no clock of its own) and fast, because it is both the embedded default and the
fallback that must always work.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from nextbest.contracts import (
    ActionKind,
    ActionProposal,
    CandidateSet,
    Channel,
    DecideRequest,
    MessageCopy,
    OfferCandidate,
    ProductCandidate,
    ProposedProduct,
)
from nextbest.policy import Brand, Playbook, offer_line, offer_savings, render, template_values

from ._copy import first_name_for, truncate, without_empty_name


def hold_back(reason: str, *, use_case: str | None = None) -> ActionProposal:
    return ActionProposal(action=ActionKind.NONE, use_case=use_case, reasons=[reason])


def rank_products(candidates: CandidateSet, limit: int) -> list[ProductCandidate]:
    ranked = sorted(enumerate(candidates.products), key=lambda pair: (-pair[1].relevance, pair[0]))
    return [product for _, product in ranked][:limit]


def best_offer(candidates: CandidateSet) -> OfferCandidate | None:
    """The most generous eligible offer; ties go to the one listed first (pool order)."""
    if not candidates.offers:
        return None
    return max(enumerate(candidates.offers), key=lambda pair: (pair[1].discount_percent, -pair[0]))[1]


def _size_for(product: ProductCandidate) -> str | None:
    if product.preferred_size and product.preferred_size in product.sizes_in_stock:
        return product.preferred_size
    return product.sizes_in_stock[0] if product.sizes_in_stock else None


def sizes_fit(chosen: list[ProductCandidate]) -> bool:
    """Every chosen product the customer gave a size for is in stock in it (and there is one such product)."""
    sized = [product for product in chosen if product.preferred_size]
    return bool(sized) and all(product.preferred_size in product.sizes_in_stock for product in sized)


def _message(
    playbook: Playbook,
    brand: Brand,
    request: DecideRequest,
    candidates: CandidateSet,
    offer: OfferCandidate | None,
    chosen: list[ProductCandidate],
) -> MessageCopy | None:
    template = playbook.fallback.message
    if template is None:
        return None
    name = first_name_for(request, brand)
    values = template_values(playbook, brand, request, candidates, first_name=name, offer=offer, chosen=chosen)

    def fill(text: str) -> str:
        rendered = render(text, values)
        return rendered if name.strip() else without_empty_name(rendered)

    body = fill(template.body)
    if template.size_line and sizes_fit(chosen):
        body = f"{body} {fill(template.size_line)}"
    line = offer_line(template, offer)
    if line:
        body = f"{body} {fill(line)}"
    return MessageCopy(
        title=truncate(fill(template.title), playbook.limits.title_max_chars),
        body=truncate(body, playbook.limits.body_max_chars),
        cta=truncate(fill(template.cta), 40) if template.cta else None,
    )


def no_channel_reason(playbook: Playbook, closed: Mapping[Channel, str]) -> str:
    """Why none of the playbook's channels is left: the rule that closed each one, in the playbook's order."""
    causes = list(dict.fromkeys(closed[channel] for channel in playbook.channels if channel in closed))
    if not causes:
        return f"{playbook.id}: the caller delivers on none of {', '.join(c.value for c in playbook.channels)}"
    return f"{playbook.id}: " + "; ".join(causes)


def propose(
    playbook: Playbook,
    candidates: CandidateSet,
    *,
    request: DecideRequest,
    brand: Brand,
    now: datetime,
    closed: Mapping[Channel, str] | None = None,
) -> ActionProposal:
    """Apply `playbook`'s fallback rules; hold back with a reason when the candidates do not allow it.
    `closed` says why the guardrails removed each channel, so a hold-back names the real cause."""
    if not candidates.channels:
        return hold_back(no_channel_reason(playbook, closed or {}), use_case=playbook.id)
    chosen = rank_products(candidates, playbook.limits.max_products)
    if len(chosen) < playbook.limits.min_products:
        return hold_back(f"{playbook.id}: no product candidate is in stock", use_case=playbook.id)
    offer = best_offer(candidates) if playbook.fallback.offer == "best" else None
    action, reasons = playbook.action, list(playbook.fallback.reasons) or [playbook.objective]
    if action is ActionKind.OFFER and offer is None:
        if playbook.fallback.without_offer != "message" or playbook.fallback.message is None:
            return hold_back(f"{playbook.id}: no eligible offer", use_case=playbook.id)
        action = ActionKind.MESSAGE
        reasons.append("no eligible offer: the message goes without one")
    timing = playbook.timing
    expires_at = now + timedelta(minutes=timing.expires_in_minutes) if timing.expires_in_minutes else None
    if offer is not None:
        reasons.append(f"offer {offer.offer_id} is the best eligible offer ({offer_savings(offer)})")
    return ActionProposal(
        action=action,
        use_case=playbook.id,
        channel=candidates.channels[0],
        placement=candidates.placements[0] if candidates.placements else None,
        products=[
            ProposedProduct(
                product_id=item.product_id, size=_size_for(item), store_id=item.store_id, reason=item.source
            )
            for item in chosen
        ],
        offer_id=offer.offer_id if offer else None,
        message=_message(playbook, brand, request, candidates, offer, chosen),
        transactional=playbook.transactional,
        send_at=now + timedelta(seconds=timing.send_delay_seconds),
        expires_at=expires_at,
        score=playbook.fallback.score,
        reasons=reasons,
    )
