from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from guardrails import Contact, ContactStatus, GuardrailPolicy, check_after, check_before
from nextbest.contracts import ActionKind, Channel, VerdictOutcome

if TYPE_CHECKING:
    from conftest import Make


def test_low_score_is_held_back(make: Make) -> None:
    post = check_after(make.proposal(score=0.2), make.inp(), stock=make.stock, offers={})
    assert post.blocked_by == ["min_score"]
    assert post.proposal.action is ActionKind.NONE
    assert post.verdict("min_score").detail == "score 0.20 below 0.35: hold back"
    assert check_after(make.proposal(score=0.35), make.inp(), stock=make.stock, offers={}).blocked_by == []


def test_threshold_comes_from_the_policy(make: Make) -> None:
    strict = GuardrailPolicy.model_validate({"restraint": {"min_score": 0.9}})
    post = check_after(make.proposal(score=0.8), make.inp(policy=strict), stock=make.stock, offers={})
    assert post.blocked_by == ["min_score"]


def test_transactional_is_not_held_back_for_score(make: Make) -> None:
    post = check_after(make.proposal(score=0.0, transactional=True), make.inp(), stock=make.stock, offers={})
    assert post.blocked_by == []


def test_open_ticket_means_no_promotions(make: Make) -> None:
    inp = make.inp(make.request(tickets=1))
    offers = {"o1": make.offer("o1")}
    pre = check_before(inp, offers=offers)
    assert not pre.promotions_allowed
    assert pre.blocked_offer_ids == frozenset({"o1"})
    assert pre.allowed_channels == [Channel.WEB, Channel.APP]
    assert pre.transactional_channels[:3] == [Channel.EMAIL, Channel.SMS, Channel.PUSH]
    email = check_after(make.proposal(), inp, stock=make.stock, offers=offers)
    assert email.blocked_by == ["support_ticket"]
    web_offer = check_after(
        make.proposal(channel=Channel.WEB, action=ActionKind.OFFER, offer_id="o1"), inp, stock=make.stock, offers=offers
    )
    assert web_offer.blocked_by == ["support_ticket"]


def test_open_ticket_still_allows_transactional_and_plain_recommendations(make: Make) -> None:
    inp = make.inp(make.request(tickets=2))
    receipt = check_after(make.proposal(transactional=True), inp, stock=make.stock, offers={})
    assert receipt.blocked_by == []
    shelf = check_after(
        make.proposal(channel=Channel.WEB, action=ActionKind.RECOMMENDATION), inp, stock=make.stock, offers={}
    )
    assert shelf.blocked_by == []


def _ignored(make: Make, count: int) -> list[Contact]:
    return [
        make.contact(
            Channel.EMAIL,
            make.now - timedelta(days=10 - index),
            status=ContactStatus.DELIVERED,
            decision_id=f"d{index}",
        )
        for index in range(count)
    ]


def test_three_ignored_messages_stop_outbound_marketing(make: Make) -> None:
    tired = make.inp(contacts=_ignored(make, 3))
    pre = check_before(tired)
    assert pre.allowed_channels == [Channel.WEB, Channel.APP, Channel.ADS]
    assert pre.verdict("fatigue").verdict is VerdictOutcome.ADJUST
    assert check_after(make.proposal(channel=Channel.PUSH), tired, stock=make.stock, offers={}).blocked_by == [
        "fatigue"
    ]
    assert check_after(make.proposal(channel=Channel.WEB), tired, stock=make.stock, offers={}).blocked_by == []
    fresh = make.inp(contacts=_ignored(make, 2))
    assert check_after(make.proposal(channel=Channel.PUSH), fresh, stock=make.stock, offers={}).blocked_by == []


def test_an_open_resets_fatigue(make: Make) -> None:
    contacts = [
        *_ignored(make, 3),
        make.contact(Channel.EMAIL, make.now - timedelta(days=1), status=ContactStatus.OPENED),
    ]
    assert check_before(make.inp(contacts=contacts)).verdict("fatigue").verdict is VerdictOutcome.PASS


def test_holdout_decides_but_never_sends(make: Make) -> None:
    inp = make.inp(holdout=True)
    pre = check_before(inp)
    assert pre.hold_back is None  # the action is still decided, so its would-have can be logged
    assert pre.verdict("holdout").verdict is VerdictOutcome.BLOCK
    post = check_after(make.proposal(), inp, stock=make.stock, offers={})
    assert post.blocked_by == ["holdout"] and post.withheld_for_holdout
    assert post.proposal.action is ActionKind.NONE
    assert post.would_have is not None and post.would_have.channel is Channel.EMAIL


def test_holdout_would_have_is_none_when_other_rules_block_too(make: Make) -> None:
    post = check_after(make.proposal(score=0.1), make.inp(holdout=True), stock=make.stock, offers={})
    assert post.blocked_by == ["holdout", "min_score"] and not post.withheld_for_holdout
    assert post.would_have is not None and post.would_have.action is ActionKind.NONE
    assert check_after(make.proposal(), make.inp(), stock=make.stock, offers={}).would_have is None
