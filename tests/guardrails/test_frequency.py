from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from guardrails import ContactStatus, GuardrailPolicy, check_after, check_before
from nextbest.contracts import ActionKind, Channel, VerdictOutcome

if TYPE_CHECKING:
    from conftest import Make

MORNING = datetime(2026, 11, 28, 9, 10, tzinfo=UTC)


NO_GAPS = GuardrailPolicy.model_validate({"cooldowns": {"channel_gap_hours": {}}})


def test_email_daily_cap_names_the_rule_and_the_last_send(make: Make) -> None:
    inp = make.inp(contacts=[make.contact(Channel.EMAIL, MORNING)], policy=NO_GAPS)
    pre = check_before(inp)
    assert Channel.EMAIL not in pre.allowed_channels
    assert Channel.PUSH in pre.allowed_channels
    post = check_after(make.proposal(), inp, stock=make.stock, offers={})
    assert post.blocked_by == ["channel_caps"]
    assert (
        post.verdict("channel_caps").detail
        == "email cap 1/calendar_day reached (1 sent, latest 2026-11-28 09:10 local)"
    )


def test_weekly_email_cap_counts_the_calendar_week(make: Make) -> None:
    # Saturday: Mon, Wed, Thu of this week are in; last Sunday is not.
    days = [MORNING - timedelta(days=back) for back in (2, 3, 5)]
    inp = make.inp(contacts=[make.contact(Channel.EMAIL, at, decision_id=f"d{at.day}") for at in days])
    post = check_after(make.proposal(), inp, stock=make.stock, offers={})
    assert post.verdict("channel_caps").detail.startswith("email cap 3/calendar_week reached (3 sent")
    last_week = make.inp(contacts=[make.contact(Channel.EMAIL, MORNING - timedelta(days=b)) for b in (2, 3, 6)])
    assert check_after(make.proposal(), last_week, stock=make.stock, offers={}).blocked_by == []


def test_push_allows_two_a_day(make: Make) -> None:
    # far enough apart that the 4h push gap is not what decides
    one = [make.contact(Channel.PUSH, MORNING - timedelta(hours=9))]
    assert (
        check_after(make.proposal(channel=Channel.PUSH), make.inp(contacts=one), stock=make.stock, offers={}).blocked_by
        == []
    )
    two = [*one, make.contact(Channel.PUSH, MORNING - timedelta(hours=5), decision_id="d2")]
    post = check_after(make.proposal(channel=Channel.PUSH), make.inp(contacts=two), stock=make.stock, offers={})
    assert post.blocked_by == ["channel_caps"]


def test_channel_gap_blocks_a_second_message_too_soon(make: Make) -> None:
    policy = GuardrailPolicy.model_validate({"caps": {"channels": {"push": [{"limit": 10, "window": "calendar_day"}]}}})
    recent = [make.contact(Channel.PUSH, make.now - timedelta(hours=3))]
    post = check_after(
        make.proposal(channel=Channel.PUSH), make.inp(contacts=recent, policy=policy), stock=make.stock, offers={}
    )
    assert post.blocked_by == ["channel_gap"]
    assert post.verdict("channel_gap").detail.startswith("push gap 4h reached")
    older = [make.contact(Channel.PUSH, make.now - timedelta(hours=5))]
    assert (
        check_after(
            make.proposal(channel=Channel.PUSH), make.inp(contacts=older, policy=policy), stock=make.stock, offers={}
        ).blocked_by
        == []
    )


def test_contact_pressure_spans_outbound_channels(make: Make) -> None:
    at = make.now - timedelta(days=2)
    contacts = [
        make.contact(Channel.EMAIL, at - timedelta(days=3), decision_id="a"),
        make.contact(Channel.SMS, at - timedelta(days=2), decision_id="b"),
        make.contact(Channel.PUSH, at - timedelta(days=1), decision_id="c"),
        make.contact(Channel.PUSH, at, decision_id="d"),
        make.contact(Channel.WEB, at, offer_id="o-web", decision_id="e"),  # on-site: not pressure
    ]
    inp = make.inp(contacts=contacts)
    pre = check_before(inp)
    assert [c for c in pre.allowed_channels if c.outbound] == []
    assert pre.hold_back is None  # web and app remain
    post = check_after(make.proposal(channel=Channel.PUSH), inp, stock=make.stock, offers={})
    assert post.blocked_by == ["contact_pressure"]
    assert (
        check_after(
            make.proposal(channel=Channel.PUSH), make.inp(contacts=contacts[1:]), stock=make.stock, offers={}
        ).blocked_by
        == []
    )


def test_same_offer_once_per_thirty_days(make: Make) -> None:
    offers = {"o1": make.offer("o1"), "o2": make.offer("o2")}
    inp = make.inp(contacts=[make.contact(Channel.WEB, make.now - timedelta(days=20), offer_id="o1")])
    assert check_before(inp, offers=offers).blocked_offer_ids == frozenset({"o1"})
    on_site = make.proposal(channel=Channel.WEB, action=ActionKind.OFFER, offer_id="o1")
    assert check_after(on_site, inp, stock=make.stock, offers=offers).blocked_by == ["offer_cap"]
    long_ago = make.inp(contacts=[make.contact(Channel.WEB, make.now - timedelta(days=31), offer_id="o1")])
    assert check_after(on_site, long_ago, stock=make.stock, offers=offers).blocked_by == []


def test_offer_own_per_customer_limit_applies(make: Make) -> None:
    offers = {"o1": make.offer("o1", eligibility={"per_customer_limit": 2})}
    inp = make.inp(contacts=[make.contact(Channel.WEB, make.now - timedelta(days=2), offer_id="o1")])
    assert check_before(inp, offers=offers).blocked_offer_ids == frozenset()


def test_released_and_transactional_contacts_do_not_count(make: Make) -> None:
    contacts = [
        make.contact(Channel.EMAIL, MORNING, status=ContactStatus.RELEASED),
        make.contact(Channel.EMAIL, MORNING, transactional=True, decision_id="receipt"),
    ]
    assert check_after(make.proposal(), make.inp(contacts=contacts), stock=make.stock, offers={}).blocked_by == []


def test_transactional_message_is_exempt_from_caps(make: Make) -> None:
    inp = make.inp(contacts=[make.contact(Channel.EMAIL, MORNING)])
    post = check_after(make.proposal(transactional=True), inp, stock=make.stock, offers={})
    assert post.blocked_by == []
    assert post.verdict("channel_caps").detail == "transactional: exempt from caps"


def test_deferred_message_counts_against_the_day_it_goes_out(make: Make) -> None:
    # Sent at 09:10 today; a message proposed tonight is deferred to 08:00 tomorrow, which has room.
    night = datetime(2026, 11, 28, 22, 0, tzinfo=UTC)
    inp = make.inp(contacts=[make.contact(Channel.EMAIL, MORNING)], now=night)
    post = check_after(make.proposal(), inp, stock=make.stock, offers={})
    assert post.blocked_by == []
    assert post.proposal.send_at == datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
    assert post.verdict("channel_caps").verdict is VerdictOutcome.PASS


def test_pre_check_holds_back_when_no_channel_is_left(make: Make) -> None:
    inp = make.inp(make.request(channels=[Channel.EMAIL]), contacts=[make.contact(Channel.EMAIL, MORNING)])
    pre = check_before(inp)
    assert pre.allowed_channels == []
    assert pre.hold_back is not None and "email cap 1/calendar_day" in pre.hold_back


def test_an_offer_capped_at_zero_is_blocked_before_anyone_received_it(make: Make) -> None:
    policy = GuardrailPolicy.model_validate(
        {"caps": {"offers": {"overrides": {"paused": {"limit": 0, "window": "calendar_day"}}}}}
    )
    offers = {"paused": make.offer("paused"), "open": make.offer("open")}
    pre = check_before(make.inp(policy=policy), offers=offers)
    assert pre.blocked_offer_ids == frozenset({"paused"})
    assert pre.verdict("offer_cap").verdict is VerdictOutcome.ADJUST


def test_a_released_offer_contact_does_not_fill_the_offer_cap(make: Make) -> None:
    offers = {"o1": make.offer("o1")}
    released = make.contact(Channel.WEB, make.now - timedelta(days=2), offer_id="o1", status=ContactStatus.RELEASED)
    assert check_before(make.inp(contacts=[released]), offers=offers).blocked_offer_ids == frozenset()
