from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from guardrails import GuardrailPolicy, check_after, check_before
from nextbest.contracts import ActionKind, Channel, VerdictOutcome

if TYPE_CHECKING:
    from conftest import Make

PARIS = ZoneInfo("Europe/Paris")
NIGHT = datetime(2026, 11, 28, 22, 30, tzinfo=PARIS)
MORNING = datetime(2026, 11, 29, 8, 0, tzinfo=PARIS)
SWITCH = GuardrailPolicy.model_validate({"quiet_hours": {"mode": "switch"}})


def test_outbound_message_at_night_is_deferred_to_the_end_of_quiet_hours(make: Make) -> None:
    inp = make.inp(make.request(timezone="Europe/Paris"), now=NIGHT)
    post = check_after(make.proposal(), inp, stock=make.stock, offers={})
    assert post.blocked_by == []
    assert post.proposal.send_at == MORNING.astimezone(UTC)
    verdict = post.verdict("quiet_hours")
    assert verdict.verdict is VerdictOutcome.ADJUST
    assert verdict.detail == "quiet hours 21:00–08:00 local: deferred from 22:30 to 2026-11-29 08:00 local"


def test_quiet_hours_follow_the_customer_clock(make: Make) -> None:
    # 22:30 in Paris is 06:30 next morning in Tokyo: quiet there too, but it ends at Tokyo's 08:00.
    inp = make.inp(make.request(timezone="Asia/Tokyo"), now=NIGHT)
    post = check_after(make.proposal(), inp, stock=make.stock, offers={})
    assert post.proposal.send_at == datetime(2026, 11, 29, 8, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    new_york = make.inp(make.request(timezone="America/New_York"), now=NIGHT)  # 16:30 there
    assert check_after(make.proposal(), new_york, stock=make.stock, offers={}).proposal.send_at is None


def test_scheduled_send_inside_quiet_hours_is_deferred(make: Make) -> None:
    inp = make.inp(make.request(timezone="Europe/Paris"), now=datetime(2026, 11, 28, 20, 0, tzinfo=PARIS))
    proposal = make.proposal(send_at=datetime(2026, 11, 28, 23, 0, tzinfo=PARIS))
    assert check_after(proposal, inp, stock=make.stock, offers={}).proposal.send_at == MORNING


def test_offer_expiring_inside_quiet_hours_is_dropped_not_deferred(make: Make) -> None:
    inp = make.inp(make.request(timezone="Europe/Paris"), now=NIGHT)
    geo = make.proposal(channel=Channel.PUSH, action=ActionKind.OFFER, expires_at=NIGHT + timedelta(minutes=15))
    post = check_after(geo, inp, stock=make.stock, offers={})
    assert post.blocked_by == ["quiet_hours"]
    assert post.proposal.action is ActionKind.NONE
    lasting = geo.model_copy(update={"expires_at": MORNING + timedelta(hours=2)})
    assert check_after(lasting, inp, stock=make.stock, offers={}).proposal.send_at == MORNING


def test_switch_mode_moves_the_message_on_site(make: Make) -> None:
    inp = make.inp(make.request(timezone="Europe/Paris"), now=NIGHT, policy=SWITCH)
    post = check_after(make.proposal(channel=Channel.PUSH), inp, stock=make.stock, offers={})
    assert (post.proposal.channel, post.proposal.send_at) == (Channel.APP, None)
    assert post.verdict("quiet_hours").detail == "quiet hours 21:00–08:00 local: switched push to app"


def test_switch_mode_defers_when_the_caller_cannot_show_it_on_site(make: Make) -> None:
    request = make.request(timezone="Europe/Paris", channels=[Channel.EMAIL, Channel.PUSH])
    inp = make.inp(request, now=NIGHT, policy=SWITCH)
    post = check_after(make.proposal(channel=Channel.PUSH), inp, stock=make.stock, offers={})
    assert (post.proposal.channel, post.proposal.send_at) == (Channel.PUSH, MORNING)


def test_transactional_and_on_site_are_not_quiet(make: Make) -> None:
    inp = make.inp(make.request(timezone="Europe/Paris"), now=NIGHT)
    receipt = check_after(make.proposal(transactional=True), inp, stock=make.stock, offers={})
    assert receipt.proposal.send_at is None
    banner = check_after(make.proposal(channel=Channel.APP), inp, stock=make.stock, offers={})
    assert banner.proposal.send_at is None
    strict = GuardrailPolicy.model_validate({"quiet_hours": {"apply_to_transactional": True}})
    deferred = check_after(
        make.proposal(transactional=True), make.inp(inp.request, now=NIGHT, policy=strict), stock=make.stock, offers={}
    )
    assert deferred.proposal.send_at == MORNING


def test_disabled_quiet_hours_send_at_night(make: Make) -> None:
    off = GuardrailPolicy.model_validate({"quiet_hours": {"enabled": False}})
    inp = make.inp(make.request(timezone="Europe/Paris"), now=NIGHT, policy=off)
    assert check_after(make.proposal(), inp, stock=make.stock, offers={}).proposal.send_at is None


def test_pre_check_announces_quiet_hours(make: Make) -> None:
    pre = check_before(make.inp(make.request(timezone="Europe/Paris"), now=NIGHT))
    assert "deferred until 08:00" in pre.verdict("quiet_hours").detail
    assert Channel.EMAIL in pre.allowed_channels
