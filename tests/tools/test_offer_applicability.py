"""The applicability rules of offers (product types, brands, product and variant ids) and money-off discounts.

A fresh outdoor-kitchen catalog with variant SKUs, ids the demo never uses.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from nextbest.contracts import CartItem, Event, EventProperties, Offer, OfferEligibility, Product, Variant
from tools.offers import OfferChecker, effective_discount

NOW = datetime(2027, 6, 3, 11, 0, tzinfo=UTC)
GRILL = Product(
    product_id="qk-grill-55",
    title="Emberline Kettle Grill",
    category="Outdoor Kitchen",
    product_type="Outdoor Kitchen > Grills > Kettle",
    brand="Emberline",
    price=240.0,
    variants=[Variant(variant_id="qk-grill-55-blk", color="black"), Variant(variant_id="qk-grill-55-red", color="red")],
)
TONGS = Product(
    product_id="qk-tongs-08",
    title="Forge Tongs",
    category="Outdoor Kitchen",
    subcategory="Grill Tools",
    brand="Forge & Co",
    price=18.0,
)
PRODUCTS = {product.product_id: product for product in (GRILL, TONGS)}


def _reason(offer: Offer, *ids: str, viewed: str | None = None) -> str:
    cart = [CartItem(product_id=pid, price=PRODUCTS.get(pid, GRILL).price) for pid in ids]
    event = Event(
        event_id="ev-qk",
        type="cart_abandoned",
        occurred_at=NOW,
        anonymous_id="anon-qk",
        properties=EventProperties(cart=cart, product_id=viewed),
    )
    (check,) = OfferChecker({offer.offer_id: offer}, products=PRODUCTS).check(
        profile=None, event=event, channel=None, cart_value=100.0, now=NOW
    )
    return check.reason


def _offer(**rules: Any) -> Offer:
    return Offer(
        offer_id="qk-off", title="Grill days", pool="bbq", discount_percent=10, eligibility=OfferEligibility(**rules)
    )


@pytest.mark.parametrize(
    ("prefix", "ids", "reason"),
    [
        ("Outdoor Kitchen > Grills", ("qk-grill-55",), ""),
        ("outdoor kitchen>grills>kettle", ("qk-grill-55-red",), ""),  # case and spacing, by variant id
        (
            "Outdoor Kitchen > Grill",
            ("qk-grill-55",),
            "product types [outdoor kitchen > grills > kettle] not under [Outdoor Kitchen > Grill]",
        ),
        ("Outdoor Kitchen > Grill Tools", ("qk-tongs-08",), ""),  # no product_type: category > subcategory
        ("Outdoor Kitchen > Grills", (), "only for product types [Outdoor Kitchen > Grills]: no product in context"),
    ],
)
def test_product_types_match_whole_levels_of_the_path(prefix: str, ids: tuple[str, ...], reason: str) -> None:
    assert _reason(_offer(product_types=[prefix]), *ids) == reason


def test_brands_match_any_product_in_context_in_any_case() -> None:
    offer = _offer(brands=["EMBERLINE"])
    assert _reason(offer, "qk-tongs-08", "qk-grill-55-blk") == ""
    assert _reason(offer, "qk-tongs-08") == "brands [forge & co] not in [EMBERLINE]"
    assert _reason(offer, viewed="qk-grill-55") == ""


def test_a_listed_group_covers_its_variants_and_a_listed_variant_only_itself() -> None:
    group, red = _offer(product_ids=["qk-grill-55"]), _offer(product_ids=["qk-grill-55-red"])
    assert _reason(group, "qk-grill-55-blk") == ""
    assert _reason(red, "qk-grill-55-red") == ""
    assert _reason(red, "qk-grill-55-blk") == "no product in context is one of [qk-grill-55-red]"
    assert _reason(red, "qk-grill-55") == "no product in context is one of [qk-grill-55-red]"
    assert _reason(red) == "only for products [qk-grill-55-red]: no product in context"


def test_a_variant_id_in_context_brings_its_products_category() -> None:
    offer = _offer(categories=["Outdoor Kitchen"])
    assert _reason(offer, "qk-grill-55-red") == ""
    assert _reason(offer, "qk-unknown-1") == "only for [Outdoor Kitchen]: no product category in context"


@pytest.mark.parametrize(
    ("amount", "cap", "cart", "percent"),
    [(10, None, 200.0, 5.0), (30, None, 20.0, 100.0), (10, None, 0.0, 0.0), (50, 25, 100.0, 25.0)],
)
def test_a_money_off_offer_is_worth_its_share_of_the_cart(
    amount: float, cap: float | None, cart: float, percent: float
) -> None:
    offer = Offer(offer_id="qk-flat", title="Flat", pool="bbq", money_off_amount=amount, max_discount_amount=cap)
    assert effective_discount(offer, cart) == percent


def test_with_offers_keeps_the_product_lookups() -> None:
    checker = OfferChecker({}, products=PRODUCTS).with_offers({"qk-off": _offer(product_ids=["qk-grill-55"])})
    event = Event(
        event_id="ev-qk2",
        type="product_view",
        occurred_at=NOW,
        anonymous_id="anon-qk",
        properties=EventProperties(product_id="qk-grill-55-blk"),
    )
    (check,) = checker.check(profile=None, event=event, channel=None, cart_value=0, now=NOW)
    assert check.eligible


def test_an_offer_applies_to_the_products_its_filters_name() -> None:
    from nextbest.contracts import Offer, Product, Variant
    from tools._offer_rules import applies_to, is_product_specific

    harness = Product(product_id="PX-00912", title="Harness", category="Pet Supplies", price=20,
                      product_type="Pet Supplies > Dog Walking > Harnesses", brand="Barkwell",
                      variants=[Variant(variant_id="PX-00912-NVY-L", size="L")])  # fmt: skip
    toy = harness.model_copy(
        update={"product_id": "PX-00777", "product_type": "Pet Supplies > Dog Toys", "variants": []}
    )

    def offer(**eligibility: object) -> Offer:
        return Offer.model_validate({"offer_id": "o-1", "title": "Deal", "pool": "geo", "discount_percent": 10,
                                     "eligibility": eligibility})  # fmt: skip

    walking = offer(product_types=["Pet Supplies > Dog Walking"])
    assert is_product_specific(walking) and applies_to(walking, harness) and not applies_to(walking, toy)
    by_variant = offer(product_ids=["PX-00912-NVY-L"])
    assert applies_to(by_variant, harness) and not applies_to(by_variant, toy)
    assert not applies_to(offer(brands=["Whiskerly"]), harness)
    assert not is_product_specific(offer()) and applies_to(offer(), toy)
