"""Message copy templates: `{first_name}`, `{product.title}`, ... Unknown variables fail at lint time."""

from __future__ import annotations

import difflib
import string
from collections.abc import Mapping

from nextbest.errors import PolicyError

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
}
"""The variables each key of `fallback.message` may use."""

_FORMATTER = string.Formatter()


def template_fields(template: str) -> list[str]:
    """The variable names a template uses, in order; raises ValueError on malformed braces."""
    return [field for _, field, _, _ in _FORMATTER.parse(template) if field is not None]


def template_errors(
    template: str, *, allowed: frozenset[str], file: str, key: str, line: int | None = None
) -> list[PolicyError]:
    """Every problem of one template: malformed braces, or each variable outside `allowed`."""
    try:
        fields = template_fields(template)
    except ValueError as exc:
        return [PolicyError(f"malformed template: {exc}", file=file, line=line, key=key)]
    return [
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
