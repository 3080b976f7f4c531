"""Values for message templates, drawn only from the candidates and the request, never invented."""

from __future__ import annotations

from nextbest.contracts import CandidateSet, DecideRequest, OfferCandidate, ProductCandidate
from nextbest.policy import Brand, Playbook

from ..prompt import neutralise


def truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:-—")
    return f"{cut}…"


def _safe_name(name: str | None) -> str | None:
    """A first name fit for copy; anything long or instruction-like is profile data we will not echo."""
    if not name or len(name) > 40 or neutralise(name) != name or not any(ch.isalpha() for ch in name):
        return None
    return name.strip()


def _item_count(request: DecideRequest) -> int:
    props = request.event.properties
    if props.order is not None:
        return sum(item.quantity for item in props.order.items)
    return sum(item.quantity for item in props.cart)


def template_values(
    playbook: Playbook,
    brand: Brand,
    request: DecideRequest,
    candidates: CandidateSet,
    offer: OfferCandidate | None,
    chosen: list[ProductCandidate],
) -> dict[str, str]:
    profile = request.profile
    first_name = _safe_name(profile.traits.first_name if profile else None) or brand.default_first_name
    anchor = candidates.anchor or (chosen[0] if chosen else None)
    props = request.event.properties
    category = (anchor.category if anchor else None) or props.category or props.query or "our picks"
    values = {
        "first_name": first_name,
        "brand": brand.name,
        "category": category.replace("_", " "),
        "item_count": str(_item_count(request)),
        "order_id": props.order.order_id if props.order else "",
        "expires_minutes": str(playbook.timing.expires_in_minutes or ""),
    }
    if anchor is not None:
        values |= {
            "product.title": anchor.title,
            "product.category": anchor.category,
            "product.price": f"{anchor.price:.2f}",
        }
    if candidates.store is not None:
        values |= {"store.name": candidates.store.name, "store.city": candidates.store.city}
    if offer is not None:
        values |= {
            "offer.title": offer.title,
            "offer.discount": f"{offer.discount_percent:g}",
            "offer.code": offer.code or offer.offer_id,
        }
    return values
