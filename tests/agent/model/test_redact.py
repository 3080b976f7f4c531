"""Contact data never reaches the model; ids, prices, dates and sizes do."""

from __future__ import annotations

import pytest

from agent.model.redact import ADDRESS_MASK, EMAIL_MASK, PHONE_MASK, redact_contact_data


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("write to jane.doe+shop@example.co.uk today", f"write to {EMAIL_MASK} today"),
        ("JOHN_SMITH@Mail.Example.COM", EMAIL_MASK),
        ("call +44 20 7946 0958", f"call {PHONE_MASK}"),
        ("call +1 (555) 123-4567 now", f"call {PHONE_MASK} now"),
        ("(555) 123-4567", PHONE_MASK),
        ("555.123.4567", PHONE_MASK),
        ("555-123-4567", PHONE_MASK),
        ("tel 020 7946 0958", f"tel {PHONE_MASK}"),
        ("tel: 555-1234", f"tel: {PHONE_MASK}"),
        ("+33 1 23 45 67 89", PHONE_MASK),
        ("ship to 221B Baker Street, Apt 4 London", f"ship to {ADDRESS_MASK} London"),
        ("1600 Pennsylvania Ave NW, Washington", f"{ADDRESS_MASK}, Washington"),
        ("42 Elm st. please", f"{ADDRESS_MASK} please"),
        ("12 rue de la Paix, Paris", f"{ADDRESS_MASK}, Paris"),
        ("Hauptstraße 5, Berlin", f"{ADDRESS_MASK}, Berlin"),
    ],
)
def test_contact_data_is_masked(text: str, expected: str) -> None:
    assert redact_contact_data(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "order 1234567890 placed 2024-05-01T10:00:00Z",
        "size 42, EU 38-40, price 129.99, 3 for 2",
        "SKU-555-123-4567x and P-1001, P-1002",
        "buy 2 Blue Running shoes for 3 days",
        "a 2 way stretch fabric, 10-12 business days",
        "50% off until 31.12.2025",
        "email me about the sale",
    ],
)
def test_ids_prices_dates_and_plain_words_are_left_alone(text: str) -> None:
    assert redact_contact_data(text) == text


def test_everything_in_one_text_is_masked() -> None:
    text = "Ana (ana@example.com, +1 555 123 4567) lives at 10 Downing Street and wants size 38."
    assert redact_contact_data(text) == f"Ana ({EMAIL_MASK}, {PHONE_MASK}) lives at {ADDRESS_MASK} and wants size 38."
