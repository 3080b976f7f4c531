"""The scripted fake model and the candidate-convention helpers that tests and benchmarks share."""

from __future__ import annotations

import time
from typing import Any

import orjson
import pytest
from openai.types.chat import ChatCompletion

from agent.model import ModelRequest, ToolCall
from agent.testing import (
    Hang,
    ScriptedModel,
    ScriptExhaustedError,
    choose_first_candidate,
    completion_body,
    find_prompt_payload,
    first_candidate_choice,
)
from nextbest.contracts import FallbackReason, ModelChoice
from nextbest.errors import ModelError

PAYLOAD: dict[str, Any] = {
    "playbook": {"id": "browse_abandon", "action": "recommendation", "max_products": 3},
    "candidates": {
        "products": [{"product_id": f"P-{n}", "title": f"Shoe {n}"} for n in range(1, 6)],
        "offers": [{"offer_id": "O-1"}, {"offer_id": "O-2"}],
        "channels": ["push", "email"],
        "placements": ["home_hero"],
    },
}


def _request(content: str, *, seconds: float = 2.0, attempt: int = 0) -> ModelRequest:
    messages = [{"role": "system", "content": "Decide."}, {"role": "user", "content": content}]
    return ModelRequest(messages=messages, deadline=time.monotonic() + seconds, attempt=attempt)


def _fenced(payload: dict[str, Any]) -> str:
    return "Decide for this moment:\n```json\n" + orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode() + "\n```"


async def test_steps_play_in_order_and_requests_are_recorded() -> None:
    choice = ModelChoice(action="none", score=0.2)
    lookup = [ToolCall(id="c1", name="check_inventory", arguments={"product_id": "P-1"})]
    model = ScriptedModel([lookup, choice, {"action": "message", "product_ids": ["P-404"]}])

    first = await model.complete(_request("one"))
    second = await model.complete(_request("two", attempt=1))
    third = await model.complete(_request("three"))

    assert first.tool_calls == lookup
    assert first.choice is None
    assert first.call.tool_calls == ["check_inventory"]
    assert second.choice == choice.model_dump(mode="json")
    assert second.call.attempt == 1
    # A dict is passed through unvalidated, so tests can script hallucinated ids for the validators.
    assert third.choice == {"action": "message", "product_ids": ["P-404"]}
    assert [request.messages[-1]["content"] for request in model.calls] == ["one", "two", "three"]
    assert second.call.tokens_estimated
    assert second.call.prompt_tokens > 0
    assert second.call.completion_tokens > 0
    assert model.remaining == 0


async def test_an_exhausted_script_fails_loudly_and_is_not_a_model_error() -> None:
    model = ScriptedModel([ModelChoice(action="none")])
    await model.complete(_request("one"))

    with pytest.raises(ScriptExhaustedError, match="no step left for call #2") as caught:
        await model.complete(_request("two"))
    assert not isinstance(caught.value, ModelError)


async def test_exceptions_are_raised_with_the_call_accounting() -> None:
    model = ScriptedModel([ModelError(FallbackReason.RATE_LIMITED, "429")])

    with pytest.raises(ModelError) as caught:
        await model.complete(_request("one", attempt=2))

    assert caught.value.reason is FallbackReason.RATE_LIMITED
    assert caught.value.call is not None
    assert (caught.value.call.attempt, caught.value.call.outcome) == (2, "rate_limited")


async def test_raw_text_is_parsed_or_is_invalid_output() -> None:
    model = ScriptedModel(['```json\n{"action": "none"}\n```', "I'd send the shoes."])

    assert (await model.complete(_request("one"))).choice == {"action": "none"}
    with pytest.raises(ModelError) as caught:
        await model.complete(_request("two"))
    assert caught.value.reason is FallbackReason.INVALID_OUTPUT
    assert caught.value.raw_output == "I'd send the shoes."


async def test_a_hang_past_the_deadline_times_out_at_the_deadline() -> None:
    model = ScriptedModel([Hang(3600), ModelChoice(action="none")])
    started = time.monotonic()

    with pytest.raises(ModelError) as caught:
        await model.complete(_request("one", seconds=0.2))

    elapsed = time.monotonic() - started
    assert caught.value.reason is FallbackReason.MODEL_TIMEOUT
    assert 0.19 <= elapsed < 0.2 + 1.0  # bounded, not timed: latency is measured in benchmarks/
    assert model.remaining == 1


async def test_a_short_hang_answers_late() -> None:
    model = ScriptedModel([Hang(0.05), ModelChoice(action="none")])

    reply = await model.complete(_request("one"))

    assert reply.choice is not None
    assert reply.choice["action"] == "none"
    assert reply.call.latency_ms >= 50


async def test_the_first_candidate_policy_answers_from_the_prompt() -> None:
    model = ScriptedModel([choose_first_candidate(), choose_first_candidate(invent_id=True)])

    reply = await model.complete(_request(_fenced(PAYLOAD)))
    invented = await model.complete(_request(_fenced(PAYLOAD)))

    choice = ModelChoice.model_validate(reply.choice)
    assert choice.action == "recommendation"
    assert (choice.channel, choice.placement, choice.offer_id) == ("push", "home_hero", "O-1")
    assert choice.product_ids == ["P-1", "P-2", "P-3"]
    assert choice.message is None
    assert ModelChoice.model_validate(invented.choice).product_ids[-1] not in {f"P-{n}" for n in range(1, 6)}


def test_the_payload_is_found_in_the_last_user_message_however_it_is_wrapped() -> None:
    history = "History:\n```json\n" + orjson.dumps({"recent_events": []}).decode()  # a trimmed, unclosed fence
    bare = orjson.dumps(PAYLOAD).decode()
    contents: list[object] = [
        _fenced(PAYLOAD),
        bare,
        f"{history}\n\nDecide: {bare} thanks",
        [{"type": "text", "text": bare}],
    ]
    for content in contents:
        messages: list[dict[str, object]] = [{"role": "user", "content": "old"}, {"role": "user", "content": content}]
        assert find_prompt_payload(messages) == PAYLOAD
    assert find_prompt_payload([{"role": "user", "content": "no json here"}]) is None
    assert find_prompt_payload([{"role": "system", "content": bare}]) is None


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (None, {"action": "none", "product_ids": [], "offer_id": None, "channel": None}),
        (
            {"playbook": {"action": "message", "max_products": 1}, "candidates": PAYLOAD["candidates"]},
            {"action": "message", "product_ids": ["P-1"], "offer_id": "O-1", "channel": "push"},
        ),
        (
            {"playbook": {"action": "none"}, "candidates": PAYLOAD["candidates"]},
            {"action": "none", "product_ids": [], "offer_id": None, "message": None},
        ),
        (
            {"playbook": {"action": "teleport"}, "candidates": {"channels": ["pigeon", "sms"]}},
            {"action": "none", "channel": "sms"},
        ),
    ],
)
def test_first_candidate_choices_are_valid(payload: dict[str, Any] | None, expected: dict[str, Any]) -> None:
    choice = first_candidate_choice(payload)
    ModelChoice.model_validate(choice)
    assert {key: choice[key] for key in expected} == expected
    if choice["action"] == "message":
        assert choice["message"]["title"]
        assert choice["message"]["body"]


def test_completion_bodies_are_valid_chat_completions() -> None:
    body = completion_body(content=None, tool_calls=[("c1", "f", {"a": 1}), ("c2", "g", "raw")], usage=None)
    completion = ChatCompletion.model_validate(body)
    calls = completion.choices[0].message.tool_calls or []
    assert [(call.id, call.function.arguments) for call in calls if call.type == "function"] == [
        ("c1", '{"a":1}'),
        ("c2", "raw"),
    ]
    assert completion.usage is None
    assert completion.choices[0].finish_reason == "tool_calls"
    assert ChatCompletion.model_validate(completion_body(content="{}")).usage is not None
