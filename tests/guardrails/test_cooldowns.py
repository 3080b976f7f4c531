from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from guardrails import check_after, check_before
from nextbest.contracts import ActionKind, ActionProposal, Channel, KnownEventType, Purchase, VerdictOutcome

if TYPE_CHECKING:
    from conftest import Make

CART = "cart_abandonment"


def _purchase(make: Make, products: list[str], *, hours_ago: float = 2, cart_id: str | None = None) -> Purchase:
    return Purchase(
        order_id="ord-1",
        occurred_at=make.now - timedelta(hours=hours_ago),
        product_ids=products,
        cart_id=cart_id,
    )


def _recovery(make: Make, **fields: object) -> ActionProposal:
    return make.proposal(use_case=CART, products=[make.product("p1"), make.product("p2")], **fields)


def test_bought_cart_id_blocks_its_recovery_message(make: Make) -> None:
    request = make.request(
        event_type="cart_abandoned", cart=["p1", "p2"], cart_id="c1", purchases=[_purchase(make, ["p1"], cart_id="c1")]
    )
    pre = check_before(make.inp(request))
    assert pre.blocked_use_cases == frozenset({CART})
    post = check_after(_recovery(make), make.inp(request), stock=make.stock, offers={})
    assert post.blocked_by == ["cart_purchased"]
    assert "cart c1 was bought in order ord-1" in post.verdict("cart_purchased").detail


def test_same_product_set_bought_blocks_even_without_cart_id(make: Make) -> None:
    request = make.request(
        event_type="cart_abandoned", cart=["p1", "p2"], purchases=[_purchase(make, ["p2", "p1", "p9"])]
    )
    post = check_after(_recovery(make), make.inp(request), stock=make.stock, offers={})
    assert post.blocked_by == ["cart_purchased"]


def test_partial_or_old_purchase_does_not_block(make: Make) -> None:
    partial = make.request(event_type="cart_abandoned", cart=["p1", "p2"], purchases=[_purchase(make, ["p1"])])
    assert check_before(make.inp(partial)).blocked_use_cases == frozenset()
    old = make.request(
        event_type="cart_abandoned", cart=["p1", "p2"], purchases=[_purchase(make, ["p1", "p2"], hours_ago=800)]
    )
    post = check_after(_recovery(make), make.inp(old), stock=make.stock, offers={})
    assert post.verdict("cart_purchased").verdict is VerdictOutcome.PASS


def test_other_use_cases_are_not_affected(make: Make) -> None:
    request = make.request(event_type="cart_abandoned", cart=["p1"], purchases=[_purchase(make, ["p1"])])
    post = check_after(make.proposal(use_case="returning_visitor"), make.inp(request), stock=make.stock, offers={})
    assert post.blocked_by == []


def test_purchase_event_itself_silences_cart_recovery(make: Make) -> None:
    request = make.request(event_type=KnownEventType.PURCHASE.value, cart=["p1"])
    post = check_after(_recovery(make), make.inp(request), stock=make.stock, offers={})
    assert "cart_purchased" in post.blocked_by


def test_converted_customer_gets_no_ads_and_no_acquisition_offers(make: Make) -> None:
    offers = {"welcome": make.offer("welcome", acquisition=True), "loyal": make.offer("loyal")}
    inp = make.inp(converted=True)
    pre = check_before(inp, offers=offers)
    assert Channel.ADS not in pre.allowed_channels
    assert pre.blocked_offer_ids == frozenset({"welcome"})
    ads = check_after(
        make.proposal(channel=Channel.ADS, action=ActionKind.CONTENT), inp, stock=make.stock, offers=offers
    )
    assert ads.blocked_by == ["converted_suppression"]
    welcome = check_after(make.proposal(offer_id="welcome"), inp, stock=make.stock, offers=offers)
    assert welcome.blocked_by == ["converted_suppression"]
    loyal = check_after(make.proposal(offer_id="loyal"), inp, stock=make.stock, offers=offers)
    assert loyal.blocked_by == []


def test_purchase_history_counts_as_converted(make: Make) -> None:
    offers = {"welcome": make.offer("welcome", acquisition=True)}
    inp = make.inp(make.request(purchases=[_purchase(make, ["p1"], hours_ago=5000)]))
    assert check_before(inp, offers=offers).blocked_offer_ids == frozenset({"welcome"})
    prospect = make.inp()
    assert check_before(prospect, offers=offers).blocked_offer_ids == frozenset()
    assert Channel.ADS in check_before(prospect).allowed_channels
