from __future__ import annotations

from typing import TYPE_CHECKING

from guardrails import check_after, check_before
from nextbest.contracts import ActionKind, Channel, VerdictOutcome

if TYPE_CHECKING:
    from conftest import Make


def test_missing_consent_removes_outbound_channels_and_ads(make: Make) -> None:
    pre = check_before(make.inp(make.request(consent={"email": True})))
    assert pre.allowed_channels == [Channel.EMAIL, Channel.WEB, Channel.APP]
    assert pre.verdict("consent").detail == "no consent for sms, push, ads"


def test_web_and_app_need_no_consent(make: Make) -> None:
    pre = check_before(make.inp(make.request(consent={})))
    assert pre.allowed_channels == [Channel.WEB, Channel.APP]
    post = check_after(
        make.proposal(channel=Channel.APP), make.inp(make.request(consent={})), stock=make.stock, offers={}
    )
    assert post.blocked_by == []


def test_global_opt_out_stops_everything(make: Make) -> None:
    request = make.request(consent={"email": True, "global_opt_out": True})
    pre = check_before(make.inp(request))
    assert pre.allowed_channels == [] and pre.transactional_channels == []
    assert pre.hold_back == "global_opt_out"
    post = check_after(make.proposal(channel=Channel.WEB), make.inp(request), stock=make.stock, offers={})
    assert "consent" in post.blocked_by
    assert post.proposal.action is ActionKind.NONE


def test_post_blocks_unconsented_channel_even_for_transactional(make: Make) -> None:
    inp = make.inp(make.request(consent={"email": True}))
    sms = check_after(make.proposal(channel=Channel.SMS, transactional=True), inp, stock=make.stock, offers={})
    assert sms.blocked_by == ["consent"]
    assert sms.verdict("consent").detail == "no consent for transactional sms"
    ads = check_after(make.proposal(channel=Channel.ADS, action=ActionKind.CONTENT), inp, stock=make.stock, offers={})
    assert ads.blocked_by == ["consent"]
    email = check_after(make.proposal(channel=Channel.EMAIL), inp, stock=make.stock, offers={})
    assert email.verdict("consent").verdict is VerdictOutcome.PASS


def test_anonymous_visitor_gets_on_site_only(make: Make) -> None:
    pre = check_before(make.inp(make.request(anonymous=True)))
    assert pre.allowed_channels == [Channel.WEB, Channel.APP]
