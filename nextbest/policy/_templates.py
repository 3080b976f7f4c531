"""Message copy templates: `{first_name}`, `{product.title}`, ... Unknown variables fail at lint time."""

from __future__ import annotations

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

_FORMATTER = string.Formatter()


def template_fields(template: str) -> list[str]:
    """The variable names a template uses, in order; raises ValueError on malformed braces."""
    return [field for _, field, _, _ in _FORMATTER.parse(template) if field is not None]


def check_template(template: str, *, allowed: frozenset[str], file: str, key: str) -> None:
    try:
        fields = template_fields(template)
    except ValueError as exc:
        raise PolicyError(f"malformed template: {exc}", file=file, key=key) from exc
    for field in fields:
        if field not in allowed:
            known = ", ".join(sorted(allowed))
            raise PolicyError(f"undefined template variable {{{field}}} (known: {known})", file=file, key=key)


def render(template: str, values: Mapping[str, str]) -> str:
    """Fill a template; a variable without a value renders as empty text and the spacing is tidied."""
    parts: list[str] = []
    for literal, field, _, _ in _FORMATTER.parse(template):
        parts.append(literal)
        if field is not None:
            parts.append(values.get(field, ""))
    return " ".join("".join(parts).split())
