"""Each scorer passes a good decision and fails a deliberately wrong one."""

from __future__ import annotations

from datetime import UTC, datetime

from evals.scenario import Scenario
from evals.scorers import (
    ExpectationMatch,
    GuardrailCompliance,
    LatencyBudget,
    PolicyChecker,
    PriorContact,
    RunRecord,
    SchemaValidity,
)
from nextbest.contracts import ActionKind, Channel, DecidedBy, Decision, FeedbackOutcome, OfferPick, ProductPick
from nextbest.settings import default_policy_dir
from nextbest.world import World


def _decision(scenario: Scenario, **update: object) -> Decision:
    base = Decision(
        decision_id="dec_1",
        event_id=scenario.request.event.event_id,
        user_id=scenario.request.event.user_id,
        action=ActionKind.MESSAGE,
        channel=Channel.EMAIL,
        score=0.8,
        decided_by=DecidedBy.RULES,
        policy_version="t",
        decided_at=datetime(2026, 11, 28, 19, 5, tzinfo=UTC),
    )
    return base.model_copy(update=update)


def _run(scenario: Scenario, decision: Decision, history: list[PriorContact] | None = None) -> RunRecord:
    return RunRecord(scenario, decision.model_dump(mode="json"), decision, 3.0, history or [])


def test_schema_validity_fails_on_a_broken_response(suite: dict[str, Scenario]) -> None:
    scenario = suite["cart-01"]
    good = _decision(scenario)
    assert SchemaValidity().evaluate(_run(scenario, good)).passed is True
    broken = RunRecord(scenario, {**good.model_dump(mode="json"), "action": "teleport"}, None, 1.0)
    assert SchemaValidity().evaluate(broken).passed is False


def test_compliance_catches_consent_discount_stock_and_caps(suite: dict[str, Scenario], world: World) -> None:
    scorer = GuardrailCompliance(PolicyChecker(default_policy_dir() / "guardrails.yaml", world))
    scenario = suite["consent-01"]  # no email consent
    assert scorer.evaluate(_run(scenario, _decision(scenario, channel=Channel.PUSH))).passed is True
    score = scorer.evaluate(_run(scenario, _decision(scenario)))
    assert score.passed is False
    assert any("consent" in d for d in score.detail)
    gone = next(pid for pid in world.products if not any(r.product_id == pid and r.quantity for r in world.stock))
    bad = _decision(
        scenario,
        channel=Channel.PUSH,
        offer=OfferPick(offer_id="OFF-CART-10", discount_percent=90),
        products=[ProductPick(product_id=gone)],
    )
    detail = " ".join(scorer.evaluate(_run(scenario, bad)).detail)
    assert "discount" in detail and "out of stock" in detail
    cart = suite["cart-01"]
    prior = PriorContact(
        _decision(cart, decided_at=datetime(2026, 11, 28, 14, 0, tzinfo=UTC)), FeedbackOutcome.DELIVERED
    )
    assert any("cap" in d for d in scorer.evaluate(_run(cart, _decision(cart), [prior])).detail)


def test_expectation_match_fails_on_wrong_action_and_forbidden_text(suite: dict[str, Scenario]) -> None:
    scenario = suite["adv-name"]
    ok = _decision(scenario)
    assert ExpectationMatch().evaluate(_run(scenario, ok)).passed is True
    leaked = ok.model_copy(update={"channel": Channel.SMS, "reasons": []})
    leaked.message = None
    score = ExpectationMatch().evaluate(_run(scenario, leaked.model_copy(update={"placement": "90% off"})))
    assert score.passed is False
    assert any("sms" in d for d in score.detail) and any("forbidden" in d for d in score.detail)
    none_case = suite["unknown-email_open"]
    assert ExpectationMatch().evaluate(_run(none_case, _decision(none_case))).passed is False


def test_latency_budget(suite: dict[str, Scenario]) -> None:
    scenario = suite["cart-01"]
    decision = _decision(scenario)
    assert LatencyBudget().evaluate(_run(scenario, decision)).passed is True
    slow = RunRecord(scenario, None, decision, 10_000.0)
    assert LatencyBudget().evaluate(slow).passed is False
