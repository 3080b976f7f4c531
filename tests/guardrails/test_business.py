from __future__ import annotations

import random
from datetime import timedelta
from typing import TYPE_CHECKING

from guardrails import check_after, check_before
from guardrails.business import OfferBook, offer_problem
from guardrails.policy import BusinessLimits
from nextbest.contracts import ActionKind, VerdictOutcome

if TYPE_CHECKING:
    from conftest import Make


def test_discount_above_the_maximum_is_blocked(make: Make) -> None:
    offers = {"big": make.offer("big", discount=40), "fair": make.offer("fair", discount=30)}
    pre = check_before(make.inp(), offers=offers)
    assert pre.blocked_offer_ids == frozenset({"big"})
    post = check_after(make.proposal(offer_id="big"), make.inp(), stock=make.stock, offers=offers)
    assert post.blocked_by == ["offer_limits"]
    assert post.verdict("offer_limits").detail == "offer big discount 40% exceeds the 30% maximum"
    assert check_after(make.proposal(offer_id="fair"), make.inp(), stock=make.stock, offers=offers).blocked_by == []


def test_offer_outside_its_validity_window_is_blocked(make: Make) -> None:
    offers = {
        "expired": make.offer("expired", eligibility={"valid_until": make.now - timedelta(minutes=1)}),
        "future": make.offer("future", eligibility={"valid_from": make.now + timedelta(days=1)}),
    }
    assert check_before(make.inp(), offers=offers).blocked_offer_ids == frozenset({"expired", "future"})
    for offer_id in offers:
        post = check_after(make.proposal(offer_id=offer_id), make.inp(), stock=make.stock, offers=offers)
        assert post.blocked_by == ["offer_limits"]


def test_validity_is_judged_at_send_time(make: Make) -> None:
    offers = {"soon": make.offer("soon", eligibility={"valid_until": make.now + timedelta(hours=1)})}
    later = make.proposal(offer_id="soon", send_at=make.now + timedelta(hours=2))
    assert check_after(later, make.inp(), stock=make.stock, offers=offers).blocked_by == ["offer_limits"]


def test_unknown_offer_is_blocked(make: Make) -> None:
    post = check_after(make.proposal(offer_id="ghost"), make.inp(), stock=make.stock, offers={})
    assert post.verdict("offer_limits").detail == "unknown offer ghost"


def test_out_of_stock_products_are_dropped(make: Make) -> None:
    proposal = make.proposal(action=ActionKind.RECOMMENDATION, products=[make.product("p1"), make.product("gone-2")])
    post = check_after(proposal, make.inp(), stock=make.stock, offers={})
    assert post.blocked_by == []
    assert [product.product_id for product in post.proposal.products] == ["p1"]
    assert post.verdict("stock").verdict is VerdictOutcome.ADJUST


def test_nothing_in_stock_means_no_action(make: Make) -> None:
    proposal = make.proposal(products=[make.product("gone-1", "M"), make.product("gone-2")])
    post = check_after(proposal, make.inp(), stock=make.stock, offers={})
    assert post.blocked_by == ["stock"]
    assert post.proposal.action is ActionKind.NONE


def test_stock_lookup_receives_the_size(make: Make) -> None:
    asked: list[tuple[str, str | None]] = []

    def stock(product_id: str, size: str | None) -> int:
        asked.append((product_id, size))
        return 1

    check_after(make.proposal(products=[make.product("p1", "L")]), make.inp(), stock=stock, offers={})
    assert asked == [("p1", "L")]


def test_an_offer_book_answers_as_each_offer_judged_alone_across_its_validity_boundaries(make: Make) -> None:
    rng = random.Random(41)
    start = make.now - timedelta(days=3)
    offers = {}
    for number in range(25):  # generated windows: open-ended, one-sided, touching, a discount over the limit
        begins = start + timedelta(hours=rng.randrange(0, 120)) if rng.random() < 0.7 else None
        ends = (begins or start) + timedelta(hours=rng.randrange(1, 90)) if rng.random() < 0.7 else None
        window = {"valid_from": begins, "valid_until": ends}
        offers[f"gen-{number:02d}"] = make.offer(
            f"gen-{number:02d}", discount=rng.choice([5, 25, 45]), eligibility=window
        )
    book = OfferBook(offers)
    edges = sorted({e for o in offers.values() for e in (o.eligibility.valid_from, o.eligibility.valid_until) if e})
    instants = [start + timedelta(minutes=17 * step) for step in range(500)]
    instants += [moment + shift for moment in edges for shift in (timedelta(0), timedelta(microseconds=-1))]
    strict, lenient = make.inp().policy.business, BusinessLimits(max_discount_percent=50)
    seen: set[frozenset[str]] = set()
    for at in instants:  # the same instant under other limits must not reuse the last answer
        for limits in (strict, lenient):
            alone = {oid: p for oid, offer in offers.items() if (p := offer_problem(limits, offer, at)) is not None}
            assert dict(book.problems(limits, at)) == alone, at
            seen.add(frozenset(alone))
    assert len(seen) > 10  # the instants did cross many boundaries


def test_check_before_reads_an_offer_book_as_it_reads_a_dict(make: Make) -> None:
    offers = {
        "gone": make.offer("gone", eligibility={"valid_until": make.now}),
        "steep": make.offer("steep", discount=35),
        "open": make.offer("open"),
    }
    from_dict, from_book = check_before(make.inp(), offers=offers), check_before(make.inp(), offers=OfferBook(offers))
    assert from_book.blocked_offer_ids == from_dict.blocked_offer_ids == frozenset({"gone", "steep"})
    assert from_book.verdict("offer_limits") == from_dict.verdict("offer_limits")
