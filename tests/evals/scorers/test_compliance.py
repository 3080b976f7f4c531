"""The independent compliance checker: each rule the guardrails claim, broken once on purpose and caught."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from evals.scenario import Scenario
from evals.scorers import GuardrailCompliance, PolicyChecker, PriorContact, RunRecord
from nextbest.contracts import (
    ActionKind,
    Channel,
    DecidedBy,
    DecideRequest,
    Decision,
    FeedbackOutcome,
    OfferPick,
    ProductPick,
    Purchase,
)
from nextbest.settings import default_policy_dir
from nextbest.world import World

POLICY = default_policy_dir() / "guardrails.yaml"
NOON = datetime(2026, 11, 28, 17, 0, tzinfo=UTC)  # 12:00 in New York, where cart-01's customer lives


@pytest.fixture(scope="module")
def checker(world: World) -> PolicyChecker:
    return PolicyChecker(POLICY, world)


def _decision(**update: Any) -> Decision:
    base = Decision(
        decision_id="dec_1",
        event_id="evt-1",
        user_id="C0002",
        action=ActionKind.MESSAGE,
        use_case="session_intent",
        channel=Channel.EMAIL,
        score=0.8,
        decided_by=DecidedBy.RULES,
        policy_version="t",
        decided_at=NOON,
    )
    return base.model_copy(update=update)


def _found(checker: PolicyChecker, scenario: Scenario, decision: Decision, **kwargs: Any) -> list[str]:
    """Violations with the caller's channel list lifted, unless the test is about that list."""
    request = scenario.request if kwargs.pop("caller_channels", False) else _anywhere(scenario)
    return checker.violations(decision, request, kwargs.pop("history", []), **kwargs)


def _anywhere(scenario: Scenario) -> DecideRequest:
    return scenario.request.model_copy(update={"channels": None})


def _with_profile(scenario: Scenario, **update: Any) -> DecideRequest:
    assert scenario.request.profile is not None
    profile = scenario.request.profile.model_copy(update=update)
    return scenario.request.model_copy(update={"profile": profile})


def _policy(tmp_path: Path, section: str, **values: Any) -> Path:
    raw = yaml.safe_load(POLICY.read_text(encoding="utf-8"))
    raw.setdefault(section, {}).update(values)
    path = tmp_path / "guardrails.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


def test_a_compliant_decision_passes(checker: PolicyChecker, suite: dict[str, Scenario]) -> None:
    assert _found(checker, suite["cart-01"], _decision()) == []


def test_global_opt_out_stops_on_site_content_too(checker: PolicyChecker, suite: dict[str, Scenario]) -> None:
    scenario = suite["cart-01"]
    assert scenario.request.profile is not None
    consent = scenario.request.profile.consent.model_copy(update={"global_opt_out": True})
    request = _with_profile(scenario, consent=consent).model_copy(update={"channels": None})
    for channel in (Channel.WEB, None):
        decision = _decision(action=ActionKind.CONTENT, channel=channel)
        assert checker.violations(decision, _anywhere(scenario), []) == []
        assert any("global opt-out" in d for d in checker.violations(decision, request, []))


@pytest.mark.parametrize(
    ("send_at", "inside"),
    [
        # New York leaves DST on 2026-11-01: 12:30 UTC is 08:30 local the Friday before, 07:30 local after.
        (datetime(2026, 10, 30, 12, 30, tzinfo=UTC), False),
        (datetime(2026, 11, 2, 12, 30, tzinfo=UTC), True),
        # 01:30 local happens twice on 2026-11-01; both are quiet.
        (datetime(2026, 11, 1, 5, 30, tzinfo=UTC), True),
        (datetime(2026, 11, 1, 6, 30, tzinfo=UTC), True),
        # 21:00 local is 01:00 UTC in EDT and 02:00 UTC in EST.
        (datetime(2026, 10, 31, 0, 30, tzinfo=UTC), False),
        (datetime(2026, 11, 3, 1, 30, tzinfo=UTC), False),
        (datetime(2026, 11, 3, 2, 0, tzinfo=UTC), True),
    ],
)
def test_quiet_hours_follow_the_local_clock_across_dst(
    checker: PolicyChecker, suite: dict[str, Scenario], send_at: datetime, inside: bool
) -> None:
    decision = _decision(decided_at=send_at - timedelta(minutes=5), send_at=send_at)
    found = _found(checker, suite["cart-01"], decision)
    assert any("quiet hours" in d for d in found) is inside, found
    transactional = decision.model_copy(update={"transactional": True})
    assert not any("quiet hours" in d for d in _found(checker, suite["cart-01"], transactional))


def test_nothing_is_sent_after_it_expires(checker: PolicyChecker, suite: dict[str, Scenario]) -> None:
    late = _decision(send_at=NOON + timedelta(hours=2), expires_at=NOON + timedelta(hours=1))
    assert any("expires" in d for d in _found(checker, suite["cart-01"], late))
    assert _found(checker, suite["cart-01"], late.model_copy(update={"expires_at": NOON + timedelta(hours=3)})) == []


def test_discount_ceiling_applies_to_the_catalogue_and_to_what_is_shown(
    world: World, suite: dict[str, Scenario], tmp_path: Path
) -> None:
    scenario = suite["cart-01"]
    shipped = PolicyChecker(POLICY, world)
    capped = OfferPick(offer_id="OFF-CART-10", discount_percent=7.84)  # max_discount_amount brought it down
    assert _found(shipped, scenario, _decision(offer=capped)) == []
    inflated = _found(shipped, scenario, _decision(offer=OfferPick(offer_id="OFF-CART-10", discount_percent=25)))
    assert any("catalogue says 10.0%" in d for d in inflated)
    strict = PolicyChecker(_policy(tmp_path, "business", max_discount_percent=8), world)
    assert any("discount 10.0% over 8.0%" in d for d in _found(strict, scenario, _decision(offer=capped)))


def test_offer_validity_ends_at_valid_until_unless_switched_off(
    world: World, suite: dict[str, Scenario], tmp_path: Path
) -> None:
    offer = world.offers["OFF-CART-10"]
    assert offer.eligibility.valid_until is not None
    pick = OfferPick(offer_id=offer.offer_id, discount_percent=offer.discount_percent)
    at_end = _decision(offer=pick, decided_at=offer.eligibility.valid_until)
    assert any("not valid at" in d for d in _found(PolicyChecker(POLICY, world), suite["cart-01"], at_end))
    lax = PolicyChecker(_policy(tmp_path, "business", enforce_offer_validity=False), world)
    assert not any("not valid at" in d for d in _found(lax, suite["cart-01"], at_end))


def test_stock_is_checked_per_size(checker: PolicyChecker, suite: dict[str, Scenario]) -> None:
    stocked = ProductPick(product_id="P0211", size="38")
    assert checker.units("P0211", None) > 0 and checker.units("P0211", "38") > 0
    assert _found(checker, suite["cart-01"], _decision(products=[stocked])) == []
    unstocked = stocked.model_copy(update={"size": "99"})
    assert _found(checker, suite["cart-01"], _decision(products=[unstocked])) == ["out of stock: P0211 size 99"]


def _sent(hours_before: float, *outcomes: FeedbackOutcome, **update: Any) -> PriorContact:
    at = NOON - timedelta(hours=hours_before)
    prior = PriorContact(_decision(decision_id=f"dec_{hours_before}", decided_at=at, **update))
    for outcome in outcomes:
        prior.record(outcome)
    return prior


def test_offer_caps_count_offers_on_any_channel(checker: PolicyChecker, suite: dict[str, Scenario]) -> None:
    pick = OfferPick(offer_id="OFF-GEO-STORE-10", discount_percent=10)  # once per customer
    before = _sent(48, FeedbackOutcome.DELIVERED, channel=Channel.APP, action=ActionKind.OFFER, offer=pick)
    again = _decision(channel=Channel.APP, action=ActionKind.OFFER, offer=pick)
    assert _found(checker, suite["cart-01"], again) == []
    assert _found(checker, suite["cart-01"], again, history=[before]) == ["cap: offer OFF-GEO-STORE-10 1/rolling"]


def test_rolling_caps_see_messages_scheduled_later(checker: PolicyChecker, suite: dict[str, Scenario]) -> None:
    # Four pushes already booked for the coming days: a fifth today breaks 4 per 168 h rolling.
    booked = [
        _sent(-24 * day, FeedbackOutcome.DELIVERED, channel=Channel.PUSH, send_at=NOON + timedelta(days=day))
        for day in (1, 2, 3, 4)
    ]
    found = _found(checker, suite["cart-01"], _decision(channel=Channel.PUSH), history=booked)
    assert "cap: contact pressure" in found


def test_a_late_failure_does_not_free_a_delivered_slot(checker: PolicyChecker, suite: dict[str, Scenario]) -> None:
    scenario = suite["cart-01"]
    freed = _sent(2, FeedbackOutcome.FAILED)
    assert _found(checker, scenario, _decision(), history=[freed]) == []
    kept = _sent(2, FeedbackOutcome.DELIVERED, FeedbackOutcome.FAILED)
    assert "cap: email 1/calendar_day" in _found(checker, scenario, _decision(), history=[kept])
    pending = _sent(2)  # never confirmed: stops counting 15 minutes after its time
    assert _found(checker, scenario, _decision(), history=[pending]) == []
    assert "cap: email 1/calendar_day" in _found(checker, scenario, _decision(), history=[_sent(0.1)])


@pytest.mark.parametrize(
    ("update", "promotes"),
    [
        ({"channel": Channel.ADS}, True),
        ({"channel": Channel.WEB, "action": ActionKind.OFFER}, True),
        ({"channel": Channel.WEB, "offer": OfferPick(offer_id="OFF-CART-10", discount_percent=10)}, True),
        ({"channel": Channel.WEB, "action": ActionKind.RECOMMENDATION}, False),
        ({"channel": Channel.EMAIL, "transactional": True}, False),
    ],
)
def test_open_ticket_means_no_promotion(
    checker: PolicyChecker, suite: dict[str, Scenario], update: dict[str, Any], promotes: bool
) -> None:
    scenario = suite["ticket-01"]
    assert scenario.request.profile is not None and scenario.request.profile.open_support_tickets > 0
    found = _found(checker, scenario, _decision(user_id="x", **update))
    assert ("promotion to a customer with an open support ticket" in found) is promotes


def test_holdout_is_recomputed_from_the_subject(checker: PolicyChecker, suite: dict[str, Scenario]) -> None:
    scenario = suite["holdout-01"]
    acted = _decision()
    assert acted.holdout is False
    assert any("holdout" in d for d in _found(checker, scenario, acted, holdout_percent=5.0))
    assert not any("holdout" in d for d in _found(checker, scenario, acted, holdout_percent=0.0))
    scorer = GuardrailCompliance(checker)
    local = RunRecord(scenario, acted.model_dump(mode="json"), acted, 1.0)
    remote = RunRecord(scenario, acted.model_dump(mode="json"), acted, 1.0, remote=True)
    assert scorer.evaluate(local).passed is False
    assert not any("holdout" in d for d in scorer.evaluate(remote).detail)  # the server's own percent applies


def test_caller_channels_min_score_and_fatigue(checker: PolicyChecker, suite: dict[str, Scenario]) -> None:
    scenario = suite["consent-01"]  # email and push requested
    assert scenario.request.channels == [Channel.EMAIL, Channel.PUSH]
    assert any("caller" in d for d in _found(checker, scenario, _decision(channel=Channel.SMS), caller_channels=True))
    assert _found(checker, scenario, _decision(channel=Channel.PUSH), caller_channels=True) == []
    assert any("min_score" in d for d in _found(checker, suite["cart-01"], _decision(score=0.2)))
    ignored = [_sent(hours, FeedbackOutcome.DELIVERED, channel=Channel.SMS) for hours in (200, 300, 400)]
    assert any("fatigue" in d for d in _found(checker, suite["cart-01"], _decision(), history=ignored))
    engaged = [*ignored, _sent(180, FeedbackOutcome.OPENED, channel=Channel.SMS)]
    assert not any("fatigue" in d for d in _found(checker, suite["cart-01"], _decision(), history=engaged))


def test_converted_customers_get_no_ads_nor_acquisition_offers(
    checker: PolicyChecker, suite: dict[str, Scenario]
) -> None:
    buyer = suite["cart-01"]  # has purchase history
    assert any("converted" in d for d in _found(checker, buyer, _decision(channel=Channel.ADS, use_case="x")))
    welcome = OfferPick(offer_id="OFF-WELCOME-10", discount_percent=10)
    found = _found(checker, buyer, _decision(channel=Channel.WEB, action=ActionKind.OFFER, offer=welcome))
    assert "converted customer got acquisition offer OFF-WELCOME-10" in found


def test_no_recovery_of_a_cart_already_bought(checker: PolicyChecker, suite: dict[str, Scenario]) -> None:
    scenario = suite["cart-01"]
    recovery = _decision(use_case="cart_abandonment")
    assert _found(checker, scenario, recovery) == []
    assert scenario.request.profile is not None
    bought = Purchase(
        order_id="O-1", occurred_at=NOON - timedelta(hours=1), product_ids=["P0211"], cart_id="cart-cart-01"
    )
    request = _with_profile(scenario, purchase_history=[*scenario.request.profile.purchase_history, bought])
    assert any("already bought" in d for d in checker.violations(recovery, request, []))
