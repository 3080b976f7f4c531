"""Which offer line the copy gets: a code only when the offer has one."""

from __future__ import annotations

import pytest

from nextbest.contracts import OfferCandidate
from nextbest.policy import offer_line
from nextbest.policy._playbook import MessageTemplate

CODED = OfferCandidate(
    offer_id="tg-rain-7", title="Rainy days", pool="cart_recovery", discount_percent=12, code="DRY12"
)
NO_CODE = CODED.model_copy(update={"code": None})


def _template(**lines: str) -> MessageTemplate:
    return MessageTemplate(title="Your basket", body="It is still here.", **lines)


def test_a_coded_offer_gets_the_offer_line() -> None:
    template = _template(offer_line="Use {offer.code}.", no_code_offer_line="No code needed.")
    assert offer_line(template, CODED) == "Use {offer.code}."


def test_a_no_code_offer_gets_its_own_line() -> None:
    template = _template(offer_line="Use {offer.code}.", no_code_offer_line="Take {offer.discount}, no code needed.")
    assert offer_line(template, NO_CODE) == "Take {offer.discount}, no code needed."


@pytest.mark.parametrize(
    ("line", "expected"),
    [("Show code {offer.code} at the till.", None), ("Take {offer.discount} today.", "Take {offer.discount} today.")],
)
def test_without_a_no_code_line_a_line_naming_the_code_is_left_out(line: str, expected: str | None) -> None:
    assert offer_line(_template(offer_line=line), NO_CODE) == expected


def test_no_offer_no_line() -> None:
    assert offer_line(_template(offer_line="Use {offer.code}."), None) is None
