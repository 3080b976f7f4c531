"""Message copy templates: `{first_name}`, `{product.title}`, ... Unknown variables fail at lint time."""

from __future__ import annotations

import difflib
import re
import string
from collections.abc import Mapping, Sequence

from babel.numbers import format_currency

from nextbest.contracts import CandidateSet, DecideRequest, OfferCandidate, ProductCandidate
from nextbest.errors import PolicyError

from ._playbook import Brand, MessageTemplate, Playbook

COMMON_FIELDS = frozenset(
    {
        "first_name",
        "brand",
        "category",
        "item_count",
        "order_id",
        "product.title",
        "product.category",
        "product.price",
        "store.name",
        "store.city",
        "expires_minutes",
    }
)
OFFER_FIELDS = frozenset({"offer.title", "offer.discount", "offer.code"})
MESSAGE_TEMPLATE_FIELDS: dict[str, frozenset[str]] = {
    "title": COMMON_FIELDS,
    "body": COMMON_FIELDS,
    "cta": COMMON_FIELDS,
    # only rendered when an offer is attached, so only it may name the offer
    "offer_line": COMMON_FIELDS | OFFER_FIELDS,
    "no_code_offer_line": COMMON_FIELDS | (OFFER_FIELDS - {"offer.code"}),
    "size_line": COMMON_FIELDS,
}
"""The variables each key of `fallback.message` may use."""

_FORMATTER = string.Formatter()


def template_fields(template: str) -> list[str]:
    """The variable names a template uses, in order; raises ValueError on malformed braces."""
    return [field for _, field, _, _ in _FORMATTER.parse(template) if field is not None]


def offer_line(template: MessageTemplate, offer: OfferCandidate | None) -> str | None:
    """The offer line to append for this offer: none without an offer, and never one naming a code the offer
    does not have (a NO_CODE promotion gets `no_code_offer_line`, else no line that shows `{offer.code}`)."""
    if offer is None:
        return None
    if offer.code:
        return template.offer_line
    if template.no_code_offer_line:
        return template.no_code_offer_line
    line = template.offer_line
    return line if line and "offer.code" not in template_fields(line) else None


def offer_savings(offer: OfferCandidate) -> str:
    """What an offer takes off, as copy says it: "15% off", or "$10 off" for a money-off offer (never its
    share of the cart)."""
    if offer.money_off_amount is not None:
        amount = format_currency(
            offer.money_off_amount, offer.currency, format="¤#,##0.##", locale="en_US", currency_digits=False
        )
        return f"{amount} off"
    return f"{offer.discount_percent:g}% off"


# `{offer.discount}` reads "15% off" or "$10 off" whole; a "%" or "off" after it says it twice.
_DISCOUNT_SAID_TWICE = re.compile(r"\{offer\.discount\}\s*(%|percent\b|off\b)", re.IGNORECASE)


def template_errors(
    template: str, *, allowed: frozenset[str], file: str, key: str, line: int | None = None
) -> list[PolicyError]:
    """Every problem of one template: malformed braces, or each variable outside `allowed`."""
    try:
        fields = template_fields(template)
    except ValueError as exc:
        return [PolicyError(f"malformed template: {exc}", file=file, line=line, key=key)]
    twice = _DISCOUNT_SAID_TWICE.search(template)
    doubled = (
        [
            PolicyError(
                f"{{offer.discount}} already reads '15% off' or '$10 off': drop the {twice.group(1)!r} after it",
                file=file,
                line=line,
                key=key,
            )
        ]
        if twice
        else []
    )
    return doubled + [
        PolicyError(f"undefined template variable {{{field}}}; {_hint(field, allowed)}", file=file, line=line, key=key)
        for field in dict.fromkeys(fields)
        if field not in allowed
    ]


def _hint(field: str, allowed: frozenset[str]) -> str:
    close = difflib.get_close_matches(field, sorted(allowed), n=1)
    return (
        f"did you mean {{{close[0]}}}?" if close else "known: " + ", ".join(f"{{{name}}}" for name in sorted(allowed))
    )


def check_template(template: str, *, allowed: frozenset[str], file: str, key: str, line: int | None = None) -> None:
    """Raise the first problem `template_errors` finds."""
    errors = template_errors(template, allowed=allowed, file=file, key=key, line=line)
    if errors:
        raise errors[0]


def render(template: str, values: Mapping[str, str]) -> str:
    """Fill a template; a variable without a value renders as empty text and the spacing is tidied."""
    parts: list[str] = []
    for literal, field, _, _ in _FORMATTER.parse(template):
        parts.append(literal)
        if field is not None:
            parts.append(values.get(field, ""))
    return " ".join("".join(parts).split())


def template_values(
    playbook: Playbook,
    brand: Brand,
    request: DecideRequest,
    candidates: CandidateSet,
    *,
    first_name: str,
    offer: OfferCandidate | None,
    chosen: Sequence[ProductCandidate],
) -> dict[str, str]:
    """The value of every template variable this moment can fill, drawn only from the request and the
    candidates; a variable it cannot fill is left out (and renders empty)."""
    props = request.event.properties
    anchor = candidates.anchor or (chosen[0] if chosen else None)
    category = (anchor.category if anchor else None) or props.category or props.query or "our picks"
    items = props.order.items if props.order is not None else props.cart
    values = {
        "first_name": first_name,
        "brand": brand.name,
        "category": category.replace("_", " "),
        "item_count": str(sum(item.quantity for item in items)),
    }
    if props.order is not None:
        values["order_id"] = props.order.order_id
    if playbook.timing.expires_in_minutes is not None:
        values["expires_minutes"] = str(playbook.timing.expires_in_minutes)
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
            "offer.discount": offer_savings(offer),
            "offer.code": offer.code or "",
        }
    return values
