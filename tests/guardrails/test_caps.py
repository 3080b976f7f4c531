from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from guardrails import (
    CapKind,
    ContactStatus,
    GuardrailPolicy,
    cap_checks,
    find_breaches,
    reservation_for,
    window_bounds,
)
from guardrails.policy import Cap, Window
from nextbest.contracts import OUTBOUND_CHANNELS, ActionKind, Channel, DecidedBy, Decision, OfferPick

if TYPE_CHECKING:
    from conftest import Make

TOKYO = ZoneInfo("Asia/Tokyo")


def test_calendar_day_follows_the_customer_time_zone() -> None:
    at = datetime(2026, 11, 28, 16, 0, tzinfo=UTC)  # already 01:00 on the 29th in Tokyo
    since, until = window_bounds(Cap(limit=1, window=Window.CALENDAR_DAY), at, TOKYO)
    assert since == datetime(2026, 11, 29, 0, 0, tzinfo=TOKYO)
    assert until == datetime(2026, 11, 30, 0, 0, tzinfo=TOKYO)


def test_calendar_week_starts_on_the_configured_day() -> None:
    saturday = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    cap = Cap(limit=3, window=Window.CALENDAR_WEEK)
    monday, _ = window_bounds(cap, saturday, ZoneInfo("UTC"))
    sunday, sunday_end = window_bounds(cap, saturday, ZoneInfo("UTC"), week_starts_on="sunday")
    assert monday == datetime(2026, 11, 23, tzinfo=UTC)
    assert (sunday, sunday_end) == (datetime(2026, 11, 22, tzinfo=UTC), datetime(2026, 11, 29, tzinfo=UTC))


def test_calendar_day_across_a_dst_change_is_23_hours_long() -> None:
    paris = ZoneInfo("Europe/Paris")
    since, until = window_bounds(
        Cap(limit=1, window=Window.CALENDAR_DAY), datetime(2026, 3, 29, 12, tzinfo=paris), paris
    )
    assert until - since == timedelta(hours=23)


def test_rolling_window_looks_both_ways() -> None:
    at = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    since, until = window_bounds(Cap(limit=4, window=Window.ROLLING, hours=168), at, ZoneInfo("UTC"))
    assert (since, until) == (at - timedelta(days=7), at + timedelta(days=7))


def test_email_contact_gets_every_cap_that_applies(make: Make) -> None:
    contact = make.contact(Channel.EMAIL, offer_id="o1")
    checks = cap_checks(GuardrailPolicy(), contact, timezone=ZoneInfo("UTC"))
    assert sorted(check.kind for check in checks) == sorted(
        [CapKind.CHANNEL, CapKind.CHANNEL, CapKind.GAP, CapKind.PRESSURE, CapKind.OFFER]
    )
    pressure = next(check for check in checks if check.kind is CapKind.PRESSURE)
    assert pressure.channels == OUTBOUND_CHANNELS and pressure.limit == 4
    gap = next(check for check in checks if check.kind is CapKind.GAP)
    assert (gap.limit, gap.until - gap.since) == (1, timedelta(hours=24))


def test_transactional_contact_has_no_caps(make: Make) -> None:
    assert cap_checks(GuardrailPolicy(), make.contact(transactional=True), timezone=ZoneInfo("UTC")) == []


def test_offer_cap_prefers_override_then_offer_limit_then_default(make: Make) -> None:
    policy = GuardrailPolicy.model_validate(
        {"caps": {"offers": {"overrides": {"vip": {"limit": 5, "window": "calendar_week"}}}}}
    )
    offers = {"own": make.offer("own", eligibility={"per_customer_limit": 2})}

    def offer_limit(offer_id: str) -> tuple[int, timedelta]:
        contact = make.contact(Channel.WEB, offer_id=offer_id)
        check = next(c for c in cap_checks(policy, contact, timezone=ZoneInfo("UTC"), offers=offers))
        return check.limit, check.until - check.since

    assert offer_limit("vip") == (5, timedelta(days=7))
    assert offer_limit("own") == (2, timedelta(hours=1440))
    assert offer_limit("other") == (1, timedelta(hours=1440))


def test_breach_counts_only_counted_contacts_in_range(make: Make) -> None:
    policy = GuardrailPolicy()
    probe = make.contact(Channel.EMAIL)
    day_cap = [c for c in cap_checks(policy, probe, timezone=ZoneInfo("UTC")) if c.name == "email cap 1/calendar_day"]
    assert len(day_cap) == 1
    yesterday = make.contact(at=make.now - timedelta(days=1))
    released = make.contact(status=ContactStatus.RELEASED)
    transactional = make.contact(transactional=True)
    sms = make.contact(Channel.SMS)
    assert find_breaches(day_cap, [yesterday, released, transactional, sms]) == []
    breaches = find_breaches(day_cap, [make.contact(at=make.now - timedelta(hours=2))])
    assert len(breaches) == 1
    assert (
        breaches[0].describe(ZoneInfo("UTC"))
        == "email cap 1/calendar_day reached (1 sent, latest 2026-11-28 10:00 local)"
    )


def test_reservation_for_a_decision(make: Make) -> None:
    inp = make.inp()
    decision = Decision(
        decision_id="d1",
        event_id="evt-1",
        user_id="u1",
        action=ActionKind.OFFER,
        channel=Channel.PUSH,
        offer=OfferPick(offer_id="o1"),
        decided_by=DecidedBy.LLM,
        policy_version="t",
        decided_at=make.now,
    )
    reservation = reservation_for(decision, inp)
    assert reservation is not None
    assert reservation.contact.decision_id == "d1"
    assert {check.kind for check in reservation.caps} == set(CapKind)
    none = decision.model_copy(update={"action": ActionKind.NONE, "channel": None, "offer": None})
    assert reservation_for(none, inp) is None
