"""OpenAIChatModel against respx-mocked HTTP: every output mode, tool turns, failures, deadlines, auto mode."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from typing import Any

import httpx
import orjson
import pytest
import respx

from agent.model import (
    SUBMIT_TOOL_NAME,
    ModelConfig,
    ModelReply,
    ModelRequest,
    OpenAIChatModel,
    OutputModeMemory,
    ToolCall,
    count_message_tokens,
    count_tokens,
)
from agent.model.schemas import grammar_friendly
from agent.testing import completion_body
from nextbest.contracts import FallbackReason, ModelChoice
from nextbest.errors import ModelError
from nextbest.settings import OutputMode

MakeModel = Callable[..., OpenAIChatModel]
MakeRequest = Callable[..., ModelRequest]
Bodies = Callable[[respx.Route], list[dict[str, Any]]]

CHOICE = ModelChoice.model_validate(
    {
        "action": "message",
        "channel": "email",
        "product_ids": ["P-1", "P-2"],
        "offer_id": "O-10",
        "message": {"title": "Still thinking it over?", "body": "Your cart is waiting.", "cta": "Back to cart"},
        "score": 0.8,
        "reasons": ["cart abandoned an hour ago"],
    }
)
CHOICE_JSON = CHOICE.model_dump_json()
INVENTORY_TOOL = {
    "type": "function",
    "function": {
        "name": "check_inventory",
        "description": "Stock of a product",
        "parameters": {"type": "object", "properties": {"product_id": {"type": "string"}}, "required": ["product_id"]},
    },
}
LLAMA_CPP_REJECTION = {"error": {"message": "Input should be 'text' or 'json_object'"}}


def _answer_in(mode: OutputMode) -> dict[str, Any]:
    if mode is OutputMode.TOOLS:
        return completion_body(tool_calls=[("call_1", SUBMIT_TOOL_NAME, CHOICE_JSON)])
    if mode is OutputMode.PROMPT:
        return completion_body(content=f"Here is my decision:\n```json\n{CHOICE_JSON}\n```\nThanks!")
    return completion_body(content=CHOICE_JSON)


def _system_text(body: dict[str, Any]) -> str:
    first = body["messages"][0]
    assert first["role"] == "system"
    return str(first["content"])


@pytest.mark.parametrize("mode", [OutputMode.JSON_SCHEMA, OutputMode.JSON_OBJECT, OutputMode.TOOLS, OutputMode.PROMPT])
async def test_final_answer_in_each_mode(
    router: respx.MockRouter, make_model: MakeModel, make_request: MakeRequest, bodies: Bodies, mode: OutputMode
) -> None:
    route = router.post("/chat/completions").respond(200, json=_answer_in(mode))
    request = make_request()

    reply = await make_model(mode).complete(request)

    assert ModelChoice.model_validate(reply.choice) == CHOICE
    assert reply.tool_calls == []
    assert (reply.call.mode, reply.call.prompt_tokens, reply.call.completion_tokens) == (mode.value, 42, 17)
    assert not reply.call.tokens_estimated
    [body] = bodies(route)
    assert body["model"] == "test-model"
    if mode is OutputMode.JSON_SCHEMA:
        assert body["response_format"]["type"] == "json_schema"
        assert body["response_format"]["json_schema"]["strict"] is True
        assert body["response_format"]["json_schema"]["schema"] == grammar_friendly(request.output_schema)
        assert body["messages"] == request.messages
    elif mode is OutputMode.JSON_OBJECT:
        assert body["response_format"] == {"type": "json_object", "schema": grammar_friendly(request.output_schema)}
        assert "JSON schema" in _system_text(body)
    elif mode is OutputMode.TOOLS:
        assert "response_format" not in body
        assert [tool["function"]["name"] for tool in body["tools"]] == [SUBMIT_TOOL_NAME]
        assert body["tool_choice"] == {"type": "function", "function": {"name": SUBMIT_TOOL_NAME}}
    else:
        assert "response_format" not in body
        assert "tools" not in body
        assert _system_text(body).startswith("You are the decision engine.")
        assert '"product_ids"' in _system_text(body)


async def test_a_tool_call_then_the_final_answer(
    router: respx.MockRouter, make_model: MakeModel, make_request: MakeRequest, bodies: Bodies
) -> None:
    route = router.post("/chat/completions")
    route.side_effect = [
        httpx.Response(200, json=completion_body(tool_calls=[("call_7", "check_inventory", {"product_id": "P-1"})])),
        httpx.Response(200, json=completion_body(content=CHOICE_JSON)),
    ]
    model = make_model(OutputMode.JSON_SCHEMA)
    first_request = make_request(tools=[INVENTORY_TOOL])

    first = await model.complete(first_request)
    assert first.choice is None
    assert first.tool_calls == [ToolCall(id="call_7", name="check_inventory", arguments={"product_id": "P-1"})]
    assert first.call.tool_calls == ["check_inventory"]

    follow_up = [
        *first_request.messages,
        first.assistant_message(),
        first.tool_calls[0].result_message('{"available": 4}'),
    ]
    second = await model.complete(make_request(messages=follow_up, tools=[INVENTORY_TOOL], attempt=1))

    assert ModelChoice.model_validate(second.choice) == CHOICE
    assert second.call.attempt == 1
    sent = bodies(route)
    assert sent[0]["tool_choice"] == "auto"
    assert sent[1]["messages"][-2]["tool_calls"][0]["function"] == {
        "name": "check_inventory",
        "arguments": '{"product_id":"P-1"}',
    }
    assert sent[1]["messages"][-1] == {"role": "tool", "tool_call_id": "call_7", "content": '{"available": 4}'}


async def test_parallel_tool_calls_in_one_reply(
    router: respx.MockRouter, make_model: MakeModel, make_request: MakeRequest, bodies: Bodies
) -> None:
    calls = [("call_a", "check_inventory", {"product_id": "P-1"}), ("call_b", "check_inventory", {"product_id": "P-2"})]
    route = router.post("/chat/completions").respond(200, json=completion_body(tool_calls=calls))

    reply = await make_model(OutputMode.TOOLS).complete(make_request(tools=[INVENTORY_TOOL]))

    assert reply.choice is None
    assert [(call.id, call.arguments["product_id"]) for call in reply.tool_calls] == [
        ("call_a", "P-1"),
        ("call_b", "P-2"),
    ]
    assert reply.call.tool_calls == ["check_inventory", "check_inventory"]
    [body] = bodies(route)
    # The submit tool is offered next to the others, and "required" keeps them all callable.
    assert [tool["function"]["name"] for tool in body["tools"]] == ["check_inventory", SUBMIT_TOOL_NAME]
    assert body["tool_choice"] == "required"


async def test_a_tool_call_next_to_the_submitted_answer_keeps_both(
    router: respx.MockRouter, make_model: MakeModel, make_request: MakeRequest
) -> None:
    calls: list[tuple[str, str, str | dict[str, str]]] = [
        ("call_a", "check_inventory", {"product_id": "P-1"}),
        ("call_b", SUBMIT_TOOL_NAME, CHOICE_JSON),
    ]
    router.post("/chat/completions").respond(200, json=completion_body(tool_calls=calls))

    reply = await make_model(OutputMode.TOOLS).complete(make_request(tools=[INVENTORY_TOOL]))

    assert ModelChoice.model_validate(reply.choice) == CHOICE
    assert [call.name for call in reply.tool_calls] == ["check_inventory"]


@pytest.mark.parametrize(
    "answer",
    [
        completion_body(content="I would send the blue shoes by email."),
        completion_body(content='["P-1", "P-2"]'),
        completion_body(content='{"action": "message", "product_ids": ["P-1"'),
        completion_body(content=None),
        completion_body(tool_calls=[("call_1", SUBMIT_TOOL_NAME, "not json at all")]),
        completion_body(tool_calls=[("call_1", "check_inventory", "[1, 2]")]),
    ],
    ids=["prose", "array", "cut-off", "empty", "bad-submit-arguments", "bad-tool-arguments"],
)
async def test_unparseable_output_is_invalid_output_with_the_raw_text(
    router: respx.MockRouter, make_model: MakeModel, make_request: MakeRequest, answer: dict[str, Any]
) -> None:
    router.post("/chat/completions").respond(200, json=answer)

    with pytest.raises(ModelError) as caught:
        await make_model(OutputMode.TOOLS).complete(make_request(tools=[INVENTORY_TOOL]))

    error = caught.value
    assert error.reason is FallbackReason.INVALID_OUTPUT
    message = answer["choices"][0]["message"]
    raw = message["content"] or "".join(call["function"]["arguments"] for call in message.get("tool_calls", []))
    assert error.raw_output == raw
    assert error.call is not None
    assert (error.call.outcome, error.call.prompt_tokens) == ("invalid_output", 42)


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (429, FallbackReason.RATE_LIMITED),
        (500, FallbackReason.MODEL_ERROR),
        (503, FallbackReason.MODEL_ERROR),
        (401, FallbackReason.MODEL_ERROR),
    ],
)
async def test_http_errors_map_to_reasons_without_retrying(
    router: respx.MockRouter,
    make_model: MakeModel,
    make_request: MakeRequest,
    status: int,
    reason: FallbackReason,
) -> None:
    route = router.post("/chat/completions").respond(status, json={"error": {"message": "busy, try later"}})
    model = make_model(OutputMode.AUTO)

    with pytest.raises(ModelError) as caught:
        await model.complete(make_request())

    assert caught.value.reason is reason
    assert f"HTTP {status}" in str(caught.value)
    # Neither the SDK nor auto mode retries: the graph owns retries.
    assert route.call_count == 1
    assert model.learned_mode is None
    assert caught.value.call is not None
    assert caught.value.call.outcome == reason.value


async def test_an_sdk_timeout_is_model_timeout(
    router: respx.MockRouter, make_model: MakeModel, make_request: MakeRequest
) -> None:
    router.post("/chat/completions").mock(side_effect=httpx.ReadTimeout("read timed out"))

    with pytest.raises(ModelError) as caught:
        await make_model(OutputMode.JSON_OBJECT).complete(make_request())

    assert caught.value.reason is FallbackReason.MODEL_TIMEOUT


async def test_a_hang_past_the_deadline_returns_at_the_deadline(
    router: respx.MockRouter, make_model: MakeModel, make_request: MakeRequest
) -> None:
    async def never_answers(request: httpx.Request) -> httpx.Response:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    router.post("/chat/completions").mock(side_effect=never_answers)
    started = time.monotonic()

    with pytest.raises(ModelError) as caught:
        await make_model(OutputMode.JSON_OBJECT).complete(make_request(seconds=0.3))

    elapsed = time.monotonic() - started
    assert caught.value.reason is FallbackReason.MODEL_TIMEOUT
    # Bounded well below the 30 s hang; exact latency is a benchmark matter, not a unit-test one.
    assert 0.29 <= elapsed < 0.3 + 1.0
    assert caught.value.call is not None
    assert caught.value.call.latency_ms >= 290


async def test_a_deadline_already_past_sends_nothing(
    router: respx.MockRouter, make_model: MakeModel, make_request: MakeRequest
) -> None:
    route = router.post("/chat/completions").respond(200, json=_answer_in(OutputMode.JSON_OBJECT))

    with pytest.raises(ModelError) as caught:
        await make_model(OutputMode.JSON_OBJECT).complete(make_request(seconds=-0.01))

    assert caught.value.reason is FallbackReason.DEADLINE_EXCEEDED
    assert route.call_count == 0


async def test_a_mocked_connection_error_is_model_error(
    router: respx.MockRouter, make_model: MakeModel, make_request: MakeRequest
) -> None:
    router.post("/chat/completions").mock(side_effect=httpx.ConnectError("connection refused"))

    with pytest.raises(ModelError) as caught:
        await make_model(OutputMode.JSON_OBJECT).complete(make_request())

    assert caught.value.reason is FallbackReason.MODEL_ERROR
    assert "connection refused" in str(caught.value)


async def test_a_real_refused_connection_is_model_error(make_request: MakeRequest) -> None:
    with socket.socket() as probe:  # a loopback port that was free a moment ago refuses connections
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = ModelConfig(model="m", base_url=f"http://127.0.0.1:{port}/v1", output_mode=OutputMode.JSON_OBJECT)
    model = OpenAIChatModel(config)
    try:
        with pytest.raises(ModelError) as caught:
            await model.complete(make_request())
    finally:
        await model.aclose()

    assert caught.value.reason is FallbackReason.MODEL_ERROR
    assert "connection failed" in str(caught.value)


@pytest.mark.parametrize(
    "rejection",
    [
        httpx.Response(500, json=LLAMA_CPP_REJECTION),
        httpx.Response(400, json={"error": {"message": "Invalid schema for response_format 'model_choice'"}}),
        httpx.Response(422, json={"detail": [{"loc": ["body", "response_format", "json_schema"]}]}),
    ],
    ids=["llama.cpp", "openai", "vllm"],
)
async def test_auto_learns_json_object_once_json_schema_is_rejected(
    router: respx.MockRouter,
    make_model: MakeModel,
    make_request: MakeRequest,
    bodies: Bodies,
    rejection: httpx.Response,
) -> None:
    def server(request: httpx.Request) -> httpx.Response:
        kind = orjson.loads(request.content)["response_format"]["type"]
        return rejection if kind == "json_schema" else httpx.Response(200, json=_answer_in(OutputMode.JSON_OBJECT))

    route = router.post("/chat/completions").mock(side_effect=server)
    model = make_model(OutputMode.AUTO)

    first = await model.complete(make_request())
    second = await model.complete(make_request())

    assert [body["response_format"]["type"] for body in bodies(route)] == ["json_schema", "json_object", "json_object"]
    assert model.learned_mode is OutputMode.JSON_OBJECT
    assert (first.call.mode, second.call.mode) == ("json_object", "json_object")
    assert ModelChoice.model_validate(second.choice) == CHOICE


async def test_auto_falls_back_to_prompt_when_no_format_is_accepted(
    router: respx.MockRouter, make_model: MakeModel, make_request: MakeRequest, bodies: Bodies
) -> None:
    def server(request: httpx.Request) -> httpx.Response:
        if "response_format" in orjson.loads(request.content):
            return httpx.Response(400, json={"error": {"message": "response_format is not supported"}})
        return httpx.Response(200, json=_answer_in(OutputMode.PROMPT))

    route = router.post("/chat/completions").mock(side_effect=server)
    memory = OutputModeMemory()
    model = make_model(OutputMode.AUTO, mode_memory=memory)

    reply = await model.complete(make_request())

    assert reply.call.mode == "prompt"
    assert [body.get("response_format", {}).get("type") for body in bodies(route)] == [
        "json_schema",
        "json_object",
        None,
    ]
    # A second client on the same endpoint and model, sharing the memory, goes straight to prompt.
    sibling = make_model(OutputMode.AUTO, mode_memory=memory)
    await sibling.complete(make_request())
    assert "response_format" not in bodies(route)[-1]
    assert route.call_count == 4


async def test_a_fixed_mode_that_is_rejected_does_not_fall_back(
    router: respx.MockRouter, make_model: MakeModel, make_request: MakeRequest
) -> None:
    route = router.post("/chat/completions").respond(500, json=LLAMA_CPP_REJECTION)
    model = make_model(OutputMode.JSON_SCHEMA)

    with pytest.raises(ModelError) as caught:
        await model.complete(make_request())

    assert caught.value.reason is FallbackReason.MODEL_ERROR
    assert route.call_count == 1
    assert model.learned_mode is None


async def test_absent_usage_is_estimated_with_tiktoken(
    router: respx.MockRouter, make_model: MakeModel, make_request: MakeRequest, bodies: Bodies
) -> None:
    route = router.post("/chat/completions").respond(200, json=completion_body(content=CHOICE_JSON, usage=None))

    reply = await make_model(OutputMode.JSON_OBJECT).complete(make_request())

    [body] = bodies(route)
    expected_prompt = count_message_tokens(body["messages"]) + count_tokens(
        orjson.dumps(body["response_format"]).decode()
    )
    assert reply.call.tokens_estimated
    assert reply.call.prompt_tokens == expected_prompt
    assert reply.call.completion_tokens == count_tokens(CHOICE_JSON)


async def test_a_caller_supplied_http_client_is_used_and_left_open(
    make_request: MakeRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=_answer_in(OutputMode.JSON_OBJECT))

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        model = OpenAIChatModel(
            ModelConfig(model="local", base_url="http://localhost:11434/v1", output_mode=OutputMode.JSON_OBJECT),
            http_client=http,
        )
        reply = await model.complete(make_request())
        await model.aclose()
        assert not http.is_closed

    assert isinstance(reply, ModelReply)
    assert str(seen[0].url) == "http://localhost:11434/v1/chat/completions"
    # Local servers need no key; the SDK still wants one, so a placeholder is sent.
    assert seen[0].headers["authorization"] == "Bearer unused"


def test_config_accepts_mode_names_and_rejects_unknown_ones() -> None:
    assert ModelConfig(model="m", output_mode="tools").output_mode is OutputMode.TOOLS  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="xml"):
        ModelConfig(model="m", output_mode="xml")  # type: ignore[arg-type]


async def test_auto_treats_a_connection_dropped_after_a_schema_as_a_rejection_and_learns_it(
    router: respx.MockRouter, make_model: MakeModel, make_request: MakeRequest, bodies: Bodies
) -> None:
    # llama.cpp dies on a grammar it cannot parse: the client sees the connection drop, not an HTTP error.
    def server(request: httpx.Request) -> httpx.Response:
        if "response_format" in orjson.loads(request.content):
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
        return httpx.Response(200, json=_answer_in(OutputMode.PROMPT))

    route = router.post("/chat/completions").mock(side_effect=server)
    memory = OutputModeMemory()

    first = await make_model(OutputMode.AUTO, mode_memory=memory).complete(make_request())
    sibling = make_model(OutputMode.AUTO, mode_memory=memory)
    second = await sibling.complete(make_request())

    assert (first.call.mode, second.call.mode) == ("prompt", "prompt")
    assert [body.get("response_format", {}).get("type") for body in bodies(route)] == [
        "json_schema",
        "json_object",
        None,
        None,
    ]
    assert sibling.learned_mode is OutputMode.PROMPT


async def test_a_dropped_connection_in_a_fixed_mode_is_a_model_error(
    router: respx.MockRouter, make_model: MakeModel, make_request: MakeRequest
) -> None:
    router.post("/chat/completions").mock(side_effect=httpx.RemoteProtocolError("Server disconnected"))

    with pytest.raises(ModelError) as caught:
        await make_model(OutputMode.JSON_OBJECT).complete(make_request())

    assert caught.value.reason is FallbackReason.MODEL_ERROR


async def test_auto_keeps_trying_schema_modes_after_a_refused_connection(
    router: respx.MockRouter, make_model: MakeModel, make_request: MakeRequest, bodies: Bodies
) -> None:
    # A server that is not up never saw a schema: that teaches auto nothing about the modes.
    route = router.post("/chat/completions").mock(side_effect=httpx.ConnectError("connection refused"))
    model = make_model(OutputMode.AUTO)

    for _ in range(2):
        with pytest.raises(ModelError):
            await model.complete(make_request())

    assert [body["response_format"]["type"] for body in bodies(route)] == ["json_schema", "json_schema"]
