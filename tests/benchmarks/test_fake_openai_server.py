"""The fake OpenAI-compatible server: in-process through ASGI, and once as a real subprocess."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import orjson
import pytest

from agent.model import SUBMIT_TOOL_NAME, ModelConfig, ModelRequest, OpenAIChatModel
from benchmarks._fake_openai import MODEL_MS_HEADER
from benchmarks.fake_openai_server import FakeOpenAIApp, FakeServerOptions, main, start_fake_server
from nextbest.contracts import ModelChoice
from nextbest.settings import OutputMode

PRODUCT_IDS = [f"P-{n}" for n in range(1, 6)]
CANDIDATES = {
    "products": [{"product_id": product_id} for product_id in PRODUCT_IDS],
    "offers": [{"offer_id": "O-1"}],
    "channels": ["email"],
    "placements": [],
}
PROMPT = (
    "Decide:\n```json\n"
    + orjson.dumps({"playbook": {"id": "pb", "action": "offer"}, "candidates": CANDIDATES}).decode()
    + "\n```"
)
MESSAGES = [{"role": "system", "content": "You decide."}, {"role": "user", "content": PROMPT}]


def _app(**options: Any) -> FakeOpenAIApp:
    return FakeOpenAIApp(FakeServerOptions(latency_ms=0, jitter_ms=0, seed=7, **options))


@pytest.fixture
async def http() -> AsyncIterator[Callable[[FakeOpenAIApp], httpx.AsyncClient]]:
    clients: list[httpx.AsyncClient] = []

    def connect(app: FakeOpenAIApp) -> httpx.AsyncClient:
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://fake/v1")
        clients.append(client)
        return client

    yield connect
    for client in clients:
        await client.aclose()


def _body(**extra: Any) -> dict[str, Any]:
    return {"model": "fake", "messages": MESSAGES, **extra}


def _content(response: httpx.Response) -> str:
    return str(response.json()["choices"][0]["message"]["content"])


@pytest.mark.parametrize("mode", [OutputMode.JSON_SCHEMA, OutputMode.JSON_OBJECT, OutputMode.TOOLS, OutputMode.PROMPT])
async def test_the_real_client_gets_first_candidates_in_every_mode(mode: OutputMode) -> None:
    app = _app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as transport_client:
        model = OpenAIChatModel(
            ModelConfig(model="fake", base_url="http://fake/v1", output_mode=mode), http_client=transport_client
        )
        reply = await model.complete(ModelRequest(messages=MESSAGES, deadline=time.monotonic() + 5))

    choice = ModelChoice.model_validate(reply.choice)
    assert (choice.action, choice.channel, choice.offer_id) == ("offer", "email", "O-1")
    assert choice.product_ids == ["P-1", "P-2", "P-3"]
    assert choice.message is not None
    assert reply.call.mode == mode.value
    assert not reply.call.tokens_estimated
    assert reply.call.prompt_tokens > 20


async def test_modes_are_answered_in_their_own_shape(http: Callable[[FakeOpenAIApp], httpx.AsyncClient]) -> None:
    client = http(_app())
    submit = {"type": "function", "function": {"name": SUBMIT_TOOL_NAME, "parameters": {}}}

    tools = (await client.post("/chat/completions", json=_body(tools=[submit]))).json()
    prompt = await client.post("/chat/completions", json=_body())
    plain = await client.post("/chat/completions", json=_body(response_format={"type": "json_object"}))

    [call] = tools["choices"][0]["message"]["tool_calls"]
    assert call["function"]["name"] == SUBMIT_TOOL_NAME
    assert tools["choices"][0]["finish_reason"] == "tool_calls"
    assert _content(prompt).startswith("Here is my decision:\n```json\n")
    assert orjson.loads(_content(plain)) == orjson.loads(call["function"]["arguments"])


async def test_reject_json_schema_answers_like_llama_cpp(http: Callable[[FakeOpenAIApp], httpx.AsyncClient]) -> None:
    client = http(_app(reject_json_schema=True))
    schema_format = {"type": "json_schema", "json_schema": {"name": "x", "schema": {}}}

    rejected = await client.post("/chat/completions", json=_body(response_format=schema_format))
    accepted = await client.post("/chat/completions", json=_body(response_format={"type": "json_object"}))

    assert rejected.status_code == 500
    assert rejected.json()["error"]["message"] == "Input should be 'text' or 'json_object'"
    assert accepted.status_code == 200


async def test_each_answer_says_how_long_the_model_took(
    http: Callable[[FakeOpenAIApp], httpx.AsyncClient],
) -> None:
    slow = http(FakeOpenAIApp(FakeServerOptions(latency_ms=30, jitter_ms=0, seed=7)))
    answer = await slow.post("/chat/completions", json=_body())
    assert 30.0 <= float(answer.headers[MODEL_MS_HEADER]) < 1000.0
    models = await http(_app()).get("/models")
    assert MODEL_MS_HEADER not in models.headers


async def test_no_tools_refuses_tools(http: Callable[[FakeOpenAIApp], httpx.AsyncClient]) -> None:
    client = http(_app(no_tools=True))
    tool = {"type": "function", "function": {"name": "check_inventory", "parameters": {}}}

    response = await client.post("/chat/completions", json=_body(tools=[tool]))

    assert response.status_code == 400
    assert "tools" in response.json()["error"]["message"]
    assert (await client.post("/chat/completions", json=_body())).status_code == 200


@pytest.mark.parametrize(("option", "status"), [("fail_rate", 500), ("rate_limit_rate", 429)])
async def test_failures_at_rate_one_always_fail(
    http: Callable[[FakeOpenAIApp], httpx.AsyncClient], option: str, status: int
) -> None:
    client = http(_app(**{option: 1.0}))
    statuses = {(await client.post("/chat/completions", json=_body())).status_code for _ in range(5)}
    assert statuses == {status}


async def test_garbage_and_invented_ids(http: Callable[[FakeOpenAIApp], httpx.AsyncClient]) -> None:
    garbage = await http(_app(garbage_rate=1.0)).post("/chat/completions", json=_body())
    json_object = {"type": "json_object"}
    invented = await http(_app(invent_ids_rate=1.0)).post("/chat/completions", json=_body(response_format=json_object))

    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(_content(garbage))
    product_ids = ModelChoice.model_validate_json(_content(invented)).product_ids
    assert set(product_ids) - set(PRODUCT_IDS)


async def test_a_hang_never_answers(http: Callable[[FakeOpenAIApp], httpx.AsyncClient]) -> None:
    client = http(_app(hang_rate=1.0))
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.2):
            await client.post("/chat/completions", json=_body())


@pytest.mark.parametrize(("setting", "usage"), [("none", None), ("123", 123)])
async def test_prompt_token_reporting(
    http: Callable[[FakeOpenAIApp], httpx.AsyncClient], setting: str, usage: int | None
) -> None:
    body = (await http(_app(prompt_tokens=setting)).post("/chat/completions", json=_body())).json()
    assert (body.get("usage") or {}).get("prompt_tokens") == usage


async def test_other_routes(http: Callable[[FakeOpenAIApp], httpx.AsyncClient]) -> None:
    app = _app()
    client = http(app)
    models = await client.get("/models")
    assert models.json()["data"][0]["id"] == "fake-model"
    assert (await client.get("/nothing")).status_code == 404
    assert (await client.post("/chat/completions", content=b"{not json")).status_code == 400
    unprefixed = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://fake")
    async with unprefixed:
        assert (await unprefixed.post("/chat/completions", json=_body())).status_code == 200


def test_unknown_options_are_refused_before_starting() -> None:
    with pytest.raises(TypeError, match="latency"), start_fake_server(latency=5):
        pass


def test_the_cli_rejects_unknown_flags() -> None:
    with pytest.raises(SystemExit):
        main(["--no-such-flag"])


async def test_a_subprocess_server_learns_json_object_with_the_real_client() -> None:
    with start_fake_server(latency_ms=5, jitter_ms=1, reject_json_schema=True) as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        assert base_url.endswith("/v1")
        model = OpenAIChatModel(ModelConfig(model="fake", base_url=base_url))
        try:
            first = await model.complete(ModelRequest(messages=MESSAGES, deadline=time.monotonic() + 5))
            second = await model.complete(ModelRequest(messages=MESSAGES, deadline=time.monotonic() + 5))
        finally:
            await model.aclose()

    assert model.learned_mode is OutputMode.JSON_OBJECT
    assert (first.call.mode, second.call.mode) == ("json_object", "json_object")
    assert ModelChoice.model_validate(second.choice).offer_id == "O-1"
