"""Remove contact data from text before it is sent to a model.

Profiles keep identities apart, but contact data also leaks through free text: search queries, support notes,
event properties. These patterns favour recall for the shapes that matter (emails, phone numbers written as
phone numbers, street addresses) while leaving ids, prices, dates and sizes alone. A bare run of digits is
not treated as a phone number: it cannot be told apart from an order or product id.
"""

from __future__ import annotations

import re

__all__ = ["ADDRESS_MASK", "EMAIL_MASK", "PHONE_MASK", "redact_contact_data"]

EMAIL_MASK = "[email]"
PHONE_MASK = "[phone]"
ADDRESS_MASK = "[address]"

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")

# Phone shapes: international (+CC ...), North American with separators, and national trunk-prefixed
# numbers (0xx xxxx xxxx). Each needs separators or a + so ids and ISO dates do not match.
_PHONE = re.compile(
    r"""
    (?<![\w+-])
    (?:
        \+\d{1,3}(?:[ .-]?(?:\(\d{1,4}\)|\d{1,4})){2,6}              # +44 20 7946 0958, +1 (555) 123-4567
      | (?:\(\d{3}\)[ .-]?|\d{3}[ .-])\d{3}[ .-]\d{4}      # (555) 123-4567, 555.123.4567
      | 0\d{1,4}[ ]\d{3,4}[ ]?\d{3,4}                      # 020 7946 0958
      | \d{3}-\d{4}                                        # 555-1234
    )
    (?![\w-])
    """,
    re.VERBOSE,
)
_PHONE_DIGITS = range(7, 16)  # E.164 allows at most 15 digits

_STREET_SUFFIX = (
    r"(?i:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|terrace|"
    r"parkway|pkwy|square|sq|highway|hwy|circle|cir|crescent|close)"
)
_UNIT = r"(?:,?\s+(?i:apt|apartment|suite|ste|unit|flat|#)\.?\s*[\w-]+)?"
_ADDRESSES = (
    # 221B Baker Street, 1600 Pennsylvania Ave NW, Apt 4
    re.compile(
        rf"\b\d{{1,6}}[A-Za-z]?\s+(?:[A-Z][\w.'-]*\s+){{1,4}}{_STREET_SUFFIX}\b\.?"
        rf"(?:\s+(?:N|S|E|W|NE|NW|SE|SW)\b)?{_UNIT}"
    ),
    # 12 rue de la Paix, 8 avenue des Champs-Élysées
    re.compile(r"\b\d{1,5}(?:\s?(?:bis|ter))?,?\s+(?:rue|avenue|boulevard|chemin|allée|place|quai)\s+[^\n,;]{2,60}"),
    # Hauptstraße 5, Kantstr. 12a
    re.compile(r"\b[A-ZÄÖÜ][\wäöüß-]*(?:straße|strasse|str\.|weg|gasse|allee|platz)\s+\d{1,5}[a-z]?\b"),
)


def _mask_phone(match: re.Match[str]) -> str:
    digits = sum(char.isdigit() for char in match.group())
    return PHONE_MASK if digits in _PHONE_DIGITS else match.group()


def redact_contact_data(text: str) -> str:
    """`text` with email addresses, phone numbers and street addresses replaced by masks."""
    text = _EMAIL.sub(EMAIL_MASK, text)
    for pattern in _ADDRESSES:
        text = pattern.sub(ADDRESS_MASK, text)
    return _PHONE.sub(_mask_phone, text)
