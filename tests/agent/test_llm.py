"""ask_model: every call on the record (timeouts and cancellations too), the per-request answer schema,
restraint scores, and the compact profile."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from agent.llm import LlmOutcome, ask_model
from agent.prompt import PromptProfile
from agent.testing import Hang, ScriptedModel, choose_first_candidate
from nextbest.contracts import ActionKind, FallbackReason
from nextbest.errors import ModelError
from nextbest.policy import PolicySet, SampleMoment, load_policy_set, sample_moment
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


async def _ask(
    policy: PolicySet, moment: SampleMoment, model: ScriptedModel, *, seconds: float = 5.0, **kwargs: Any
) -> LlmOutcome:
    playbook = policy.playbook("cart_abandonment")
    assert playbook is not None
    return await ask_model(
        model,
        playbook,
        policy.brand,
        moment.request,
        moment.candidates,
        now=NOW,
        deadline=time.monotonic() + seconds,
        budget=3000,
        repair_turns=1,
        **kwargs,
    )


async def test_a_call_cancelled_by_the_callers_deadline_stays_on_the_record_as_a_timeout(
    policy: PolicySet, moment: SampleMoment
) -> None:
    # What the graph node does: wait_for around ask_model, with an outcome it created and can still read.
    outcome = LlmOutcome(None, moment.candidates)
    model = ScriptedModel([Hang(600)])

    with pytest.raises(TimeoutError):
        await asyncio.wait_for(_ask(policy, moment, model, seconds=60, outcome=outcome), timeout=0.05)

    [call] = outcome.calls
    assert call.outcome == FallbackReason.MODEL_TIMEOUT.value
    assert call.latency_ms > 0
    assert len(model.calls) == 1


async def test_a_timeout_after_a_repair_turn_keeps_both_calls(policy: PolicySet, moment: SampleMoment) -> None:
    outcome = LlmOutcome(None, moment.candidates)
    model = ScriptedModel(["not json at all", Hang(600)])

    with pytest.raises(TimeoutError):
        await asyncio.wait_for(_ask(policy, moment, model, seconds=60, outcome=outcome), timeout=0.2)

    assert [call.outcome for call in outcome.calls] == ["invalid_output", "model_timeout"]


async def test_the_clients_own_error_closes_the_call_with_its_reason(policy: PolicySet, moment: SampleMoment) -> None:
    model = ScriptedModel([ModelError(FallbackReason.RATE_LIMITED, "HTTP 429")])

    outcome = await _ask(policy, moment, model)

    assert [call.outcome for call in outcome.calls] == ["rate_limited"]
    assert outcome.failure is not None and outcome.failure.reason is FallbackReason.RATE_LIMITED


async def test_close_pending_closes_only_calls_still_in_flight(policy: PolicySet, moment: SampleMoment) -> None:
    outcome = await _ask(policy, moment, ScriptedModel([choose_first_candidate()]))
    outcome.calls.append(outcome.calls[0].model_copy(update={"outcome": "pending", "attempt": 1}))

    outcome.close_pending()

    assert [call.outcome for call in outcome.calls] == ["ok", "model_timeout"]


async def test_each_request_carries_the_answer_schema_of_its_candidates(
    policy: PolicySet, moment: SampleMoment
) -> None:
    model = ScriptedModel([choose_first_candidate()])

    await _ask(policy, moment, model)

    properties = model.calls[0].output_schema["properties"]
    assert properties["product_ids"]["items"]["enum"] == [p.product_id for p in moment.candidates.products]
    assert properties["channel"]["anyOf"][0]["enum"] == [c.value for c in moment.candidates.channels]


@pytest.mark.parametrize(
    ("score", "expected"),
    [(20, 0.2), (100, 1.0), (250, 1.0), (-3, 0.0)],
    ids=["percent", "hundred", "clamped-high", "clamped-low"],
)
async def test_a_restraint_answer_is_not_rejected_for_its_score(
    policy: PolicySet, moment: SampleMoment, score: float, expected: float
) -> None:
    answer = {"action": "none", "channel": None, "product_ids": [], "score": score, "reasons": ["nothing fits"]}

    outcome = await _ask(policy, moment, ScriptedModel([answer]))

    assert outcome.failure is None
    assert outcome.proposal is not None and outcome.proposal.action is ActionKind.NONE
    assert outcome.proposal.score == expected
    assert len(outcome.adjustments) == 1 and f"{score:g}" in outcome.adjustments[0]


async def test_a_percentage_score_of_an_action_is_read_as_a_fraction(policy: PolicySet, moment: SampleMoment) -> None:
    def answer(request: Any) -> dict[str, Any]:
        choice = choose_first_candidate()(request)
        assert isinstance(choice, dict)
        return {**choice, "score": 85}

    outcome = await _ask(policy, moment, ScriptedModel([answer]))

    assert outcome.proposal is not None and outcome.proposal.score == 0.85
    assert outcome.adjustments == ["score 85 read on a 0..100 scale as 0.85"]


async def test_an_action_scored_past_any_scale_is_still_rejected(policy: PolicySet, moment: SampleMoment) -> None:
    def answer(request: Any) -> dict[str, Any]:
        choice = choose_first_candidate()(request)
        assert isinstance(choice, dict)
        return {**choice, "score": 250}

    outcome = await _ask(policy, moment, ScriptedModel([answer, answer]))

    assert outcome.failure is not None and outcome.failure.reason is FallbackReason.INVALID_OUTPUT
    assert outcome.adjustments == []


async def test_the_compact_profile_is_what_the_model_gets_when_asked_for(
    policy: PolicySet, moment: SampleMoment
) -> None:
    full, compact = ScriptedModel([choose_first_candidate()]), ScriptedModel([choose_first_candidate()])

    await _ask(policy, moment, full)
    outcome = await _ask(policy, moment, compact, profile=PromptProfile.COMPACT)

    assert outcome.proposal is not None and outcome.proposal.action is not ActionKind.NONE
    full_text = "".join(str(m["content"]) for m in full.calls[0].messages)
    compact_text = "".join(str(m["content"]) for m in compact.calls[0].messages)
    assert len(compact_text) < len(full_text) / 2
    assert "description" not in compact_text


async def test_only_the_kept_answers_corrections_are_recorded(policy: PolicySet, moment: SampleMoment) -> None:
    # The first answer's score is corrected, then it is rejected for an invented id; the repair is clean.
    invented = {"action": "none", "offer_id": "OFF-NOWHERE", "score": 40}
    restraint = {"action": "none", "score": 0.4}

    outcome = await _ask(policy, moment, ScriptedModel([invented, restraint]))

    assert outcome.proposal is not None and outcome.proposal.score == 0.4
    assert outcome.adjustments == []
