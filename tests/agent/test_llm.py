"""Asking the model: every call on the record (timeouts too), the per-request answer schema, restraint
scores, and the compact profile, through the decision's own steps."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from agent.policies import PolicySet, load_policy_set
from agent.testing import Hang, ScriptedModel, choose_first_candidate, find_prompt_payload
from agent.validate import Rejection, RejectionKind, validate_choice
from nextbest.clock import FixedClock
from nextbest.contracts import ActionKind, DecidedBy, FallbackReason
from nextbest.errors import ModelError
from nextbest.policy import SampleMoment, sample_moment
from nextbest.settings import default_policy_dir

NOW = datetime(2026, 3, 9, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def policy() -> PolicySet:
    return load_policy_set(default_policy_dir())


@pytest.fixture(scope="module")
def moment(policy: PolicySet) -> SampleMoment:
    playbook = policy.playbook("cart_abandonment")
    assert playbook is not None
    return sample_moment(playbook, policy.brand, None)


async def _decide(runtime_factory: Any, example: Any, steps: list[Any], **request_fields: Any) -> tuple[Any, Any]:
    request = example("cart_abandonment").model_copy(update=request_fields)
    model = ScriptedModel(steps)
    runtime = await runtime_factory(clock=FixedClock(request.event.occurred_at), model=model)
    return await runtime.decider.decide(request), model


async def test_a_timeout_after_a_repair_turn_keeps_both_calls(runtime_factory: Any, example: Any) -> None:
    decision, model = await _decide(runtime_factory, example, ["not json at all", Hang(600)], deadline_ms=1200)
    assert len(model.calls) == 2
    assert [call.outcome for call in decision.trace.model_calls] == ["invalid_output", "timeout"]
    assert decision.fallback_reason in (FallbackReason.MODEL_TIMEOUT, FallbackReason.DEADLINE_EXCEEDED)


async def test_the_clients_own_error_closes_the_call_with_its_reason(runtime_factory: Any, example: Any) -> None:
    decision, _ = await _decide(runtime_factory, example, [ModelError(FallbackReason.RATE_LIMITED, "HTTP 429")])
    assert [call.outcome for call in decision.trace.model_calls] == ["rate_limited"]
    assert decision.fallback_reason is FallbackReason.RATE_LIMITED


async def test_each_request_carries_the_answer_schema_of_its_candidates(runtime_factory: Any, example: Any) -> None:
    _, model = await _decide(runtime_factory, example, [choose_first_candidate()])
    shown = (find_prompt_payload(model.calls[0].messages) or {})["candidates"]
    properties = model.calls[0].output_schema["properties"]
    assert properties["product_ids"]["items"]["enum"] == [p["product_id"] for p in shown["products"]]
    assert properties["channel"]["anyOf"][0]["enum"] == shown["channels"]


async def test_a_restraint_score_is_corrected_and_on_the_trace(runtime_factory: Any, example: Any) -> None:
    answer = {"action": "none", "channel": None, "product_ids": [], "score": 20, "reasons": ["nothing fits"]}
    decision, _ = await _decide(runtime_factory, example, [answer])
    assert decision.decided_by is DecidedBy.LLM and decision.action is ActionKind.NONE
    assert decision.trace.adjustments == ["score 20 read on a 0..100 scale as 0.2"]


@pytest.mark.parametrize(
    ("score", "expected"),
    [(20, 0.2), (100, 1.0), (250, 1.0), (-3, 0.0)],
    ids=["percent", "hundred", "clamped-high", "clamped-low"],
)
def test_a_restraint_answer_is_not_rejected_for_its_score(
    policy: PolicySet, moment: SampleMoment, score: float, expected: float
) -> None:
    playbook = policy.playbook("cart_abandonment")
    assert playbook is not None
    answer = {"action": "none", "channel": None, "product_ids": [], "score": score, "reasons": ["nothing fits"]}
    adjustments: list[str] = []
    result = validate_choice(answer, playbook=playbook, candidates=moment.candidates, now=NOW, adjustments=adjustments)
    assert not isinstance(result, Rejection)
    assert result.action is ActionKind.NONE and result.score == expected
    assert len(adjustments) == 1 and f"{score:g}" in adjustments[0]


def _first_choice(moment: SampleMoment, score: float) -> dict[str, Any]:
    product = moment.candidates.products[0]
    return {
        "action": "message",
        "channel": moment.candidates.channels[0].value,
        "placement": None,
        "product_ids": [product.product_id],
        "offer_id": None,
        "message": {"title": "Still thinking it over?", "body": "Your cart is saved for you.", "cta": "Back to cart"},
        "score": score,
        "reasons": ["cart left"],
    }


def test_a_percentage_score_of_an_action_is_read_as_a_fraction(policy: PolicySet, moment: SampleMoment) -> None:
    playbook = policy.playbook("cart_abandonment")
    assert playbook is not None
    adjustments: list[str] = []
    result = validate_choice(
        _first_choice(moment, 85), playbook=playbook, candidates=moment.candidates, now=NOW, adjustments=adjustments
    )
    assert not isinstance(result, Rejection) and result.score == 0.85
    assert adjustments == ["score 85 read on a 0..100 scale as 0.85"]


def test_an_action_scored_past_any_scale_is_still_rejected(policy: PolicySet, moment: SampleMoment) -> None:
    playbook = policy.playbook("cart_abandonment")
    assert playbook is not None
    adjustments: list[str] = []
    result = validate_choice(
        _first_choice(moment, 250), playbook=playbook, candidates=moment.candidates, now=NOW, adjustments=adjustments
    )
    assert isinstance(result, Rejection)
    assert result.kind is RejectionKind.OUT_OF_RANGE and result.reason is FallbackReason.INVALID_OUTPUT
    assert adjustments == []


async def test_the_compact_profile_is_what_the_model_gets_when_asked_for(
    runtime_factory: Any, example: Any, settings: Any
) -> None:
    request = example("cart_abandonment")
    full, compact = ScriptedModel([choose_first_candidate()]), ScriptedModel([choose_first_candidate()])
    clock = FixedClock(request.event.occurred_at)
    await (await runtime_factory(clock=clock, model=full)).decider.decide(request.model_copy(update={"dry_run": True}))
    compact_settings = settings.model_copy(update={"prompt_profile": "compact"})
    runtime = await runtime_factory(settings=compact_settings, clock=clock, model=compact)
    decision = await runtime.decider.decide(request.model_copy(update={"dry_run": True}))
    assert decision.decided_by is DecidedBy.LLM and decision.action is not ActionKind.NONE
    full_text = "".join(str(m["content"]) for m in full.calls[0].messages)
    compact_text = "".join(str(m["content"]) for m in compact.calls[0].messages)
    assert len(compact_text) < len(full_text) / 2
    assert "description" not in compact_text


async def test_only_the_kept_answers_corrections_are_recorded(runtime_factory: Any, example: Any) -> None:
    # The first answer's score is corrected, then it is rejected for an invented id; the repair is clean.
    invented = {"action": "none", "offer_id": "OFF-NOWHERE", "score": 40}
    restraint = {"action": "none", "score": 0.4}
    decision, model = await _decide(runtime_factory, example, [invented, restraint])
    assert len(model.calls) == 2
    assert decision.decided_by is DecidedBy.LLM and decision.action is ActionKind.NONE
    assert decision.trace.adjustments == []
