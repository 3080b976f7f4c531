from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest

from guardrails import GuardrailInput, check_after, check_before
from nextbest.contracts import ActionKind, Channel, GuardrailStage, VerdictOutcome

if TYPE_CHECKING:
    from conftest import Make

POST_RULES = [
    "holdout",
    "caller_channels",
    "consent",
    "min_score",
    "support_ticket",
    "fatigue",
    "converted_suppression",
    "cart_purchased",
    "offer_limits",
    "stock",
    "quiet_hours",
    "channel_caps",
    "channel_gap",
    "contact_pressure",
    "offer_cap",
]
PRE_RULES = [
    "holdout",
    "consent",
    "support_ticket",
    "fatigue",
    "converted_suppression",
    "cart_purchased",
    "frequency_caps",
    "offer_cap",
    "offer_limits",
    "quiet_hours",
]


def test_every_post_rule_leaves_a_verdict_even_when_it_passes(make: Make) -> None:
    post = check_after(make.proposal(offer_id="o1"), make.inp(), stock=make.stock, offers={"o1": make.offer("o1")})
    assert [verdict.name for verdict in post.verdicts] == POST_RULES
    assert all(verdict.verdict is VerdictOutcome.PASS for verdict in post.verdicts)
    assert all(verdict.stage is GuardrailStage.POST and verdict.detail for verdict in post.verdicts)
    assert post.proposal == make.proposal(offer_id="o1")


def test_every_pre_rule_leaves_a_verdict(make: Make) -> None:
    pre = check_before(make.inp())
    assert [verdict.name for verdict in pre.verdicts] == PRE_RULES
    assert all(verdict.stage is GuardrailStage.PRE for verdict in pre.verdicts)
    assert pre.allowed_channels == list(Channel)
    assert (pre.hold_back, pre.promotions_allowed) == (None, True)


def test_a_none_proposal_passes_everything(make: Make) -> None:
    post = check_after(make.proposal(action=ActionKind.NONE, channel=None), make.inp(), stock=make.stock, offers={})
    assert post.blocked_by == [] and post.proposal.action is ActionKind.NONE


def test_block_turns_the_proposal_into_none_with_every_reason(make: Make) -> None:
    inp = make.inp(make.request(consent={}, tickets=1))
    post = check_after(make.proposal(channel=Channel.SMS, score=0.1), inp, stock=make.stock, offers={})
    assert post.blocked_by == ["consent", "min_score", "support_ticket"]
    assert post.proposal.action is ActionKind.NONE
    assert post.proposal.use_case == "returning_visitor"
    assert post.proposal.reasons[0] == "consent: no consent for sms"
    assert len(post.proposal.reasons) == 3


def test_caller_channels_are_enforced_after_the_model(make: Make) -> None:
    inp = make.inp(make.request(channels=[Channel.WEB]))
    assert check_after(make.proposal(channel=Channel.EMAIL), inp, stock=make.stock, offers={}).blocked_by == [
        "caller_channels"
    ]


def test_adjustments_compose(make: Make) -> None:
    paris = ZoneInfo("Europe/Paris")
    night = datetime(2026, 11, 28, 23, 0, tzinfo=paris)
    inp = make.inp(make.request(timezone="Europe/Paris"), now=night)
    proposal = make.proposal(products=[make.product("p1"), make.product("gone-1")])
    post = check_after(proposal, inp, stock=make.stock, offers={})
    assert post.blocked_by == []
    assert [product.product_id for product in post.proposal.products] == ["p1"]
    assert post.proposal.send_at == datetime(2026, 11, 29, 8, 0, tzinfo=paris)
    adjusted = [verdict.name for verdict in post.verdicts if verdict.verdict is VerdictOutcome.ADJUST]
    assert adjusted == ["stock", "quiet_hours"]


def test_input_rejects_a_naive_clock(make: Make) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        GuardrailInput(request=make.request(), now=datetime(2026, 11, 28), policy=make.inp().policy)


def test_pre_check_is_pure(make: Make) -> None:
    inp = make.inp(contacts=[make.contact(Channel.EMAIL, make.now - timedelta(hours=1))])
    assert check_before(inp) == check_before(inp)
