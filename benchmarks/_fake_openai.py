"""The behaviour of the fake OpenAI-compatible server: a raw ASGI app, no framework, to stay fast."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

import orjson

from agent.model import SUBMIT_TOOL_NAME
from agent.testing import completion_body, find_prompt_payload, first_candidate_choice

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

LLAMA_CPP_REJECTION = "Input should be 'text' or 'json_object'"
NO_TOOLS_REJECTION = "tools param requires --jinja flag"
GARBAGE = "Sure! I think this customer would love the blue running shoes, maybe with a small discount."
_HANG_SECONDS = 3600.0
_CHAT_PATHS = frozenset({"/v1/chat/completions", "/chat/completions"})
_MODEL_PATHS = frozenset({"/v1/models", "/models"})
MODEL_MS_HEADER = "x-fake-model-ms"


@dataclass(frozen=True)
class FakeServerOptions:
    """How the fake behaves. Rates are probabilities per request."""

    latency_ms: float = 50.0
    jitter_ms: float = 10.0
    fail_rate: float = 0.0
    hang_rate: float = 0.0
    rate_limit_rate: float = 0.0
    garbage_rate: float = 0.0
    invent_ids_rate: float = 0.0
    prompt_tokens: str = "auto"
    reject_json_schema: bool = False
    no_tools: bool = False
    model: str = "fake-model"
    seed: int | None = None


def output_mode(request: dict[str, Any]) -> str:
    """Which structured-output mode a chat request asks for."""
    response_format = request.get("response_format")
    if isinstance(response_format, dict) and response_format.get("type") in ("json_schema", "json_object"):
        return str(response_format["type"])
    for tool in request.get("tools") or []:
        if isinstance(tool, dict) and (tool.get("function") or {}).get("name") == SUBMIT_TOOL_NAME:
            return "tools"
    return "prompt"


def _error(status: int, message: str, kind: str) -> tuple[int, dict[str, Any]]:
    return status, {"error": {"message": message, "type": kind, "code": status}}


def _prompt_chars(messages: list[Any]) -> int:
    return sum(len(str(message.get("content") or "")) for message in messages if isinstance(message, dict))


class FakeOpenAIApp:
    """An ASGI app answering chat completions by picking the first candidates of the prompt."""

    def __init__(self, options: FakeServerOptions) -> None:
        self.options = options
        self._random = random.Random(options.seed)
        self.requests = 0

    def _chance(self, rate: float) -> bool:
        return rate > 0 and self._random.random() < rate

    def _usage(self, messages: list[Any], text: str) -> tuple[int, int] | None:
        setting = self.options.prompt_tokens
        if setting == "none":
            return None
        # About four characters a token: cheap, and close enough for a baseline.
        prompt = _prompt_chars(messages) // 4 + 1 if setting == "auto" else int(setting)
        return prompt, len(text) // 4 + 1

    async def _latency(self) -> None:
        options = self.options
        delay_ms = options.latency_ms + self._random.uniform(-options.jitter_ms, options.jitter_ms)
        if delay_ms > 0:
            await asyncio.sleep(delay_ms / 1000)

    def _rejection(self, request: dict[str, Any], mode: str) -> tuple[int, dict[str, Any]] | None:
        if mode == "json_schema" and self.options.reject_json_schema:
            return _error(500, LLAMA_CPP_REJECTION, "server_error")
        if request.get("tools") and self.options.no_tools:
            return _error(400, NO_TOOLS_REJECTION, "invalid_request_error")
        return None

    async def chat(self, body: bytes) -> tuple[int, dict[str, Any]]:
        """Status and JSON body for one chat completion request."""
        self.requests += 1
        try:
            request = orjson.loads(body)
        except orjson.JSONDecodeError:
            return _error(400, "the body is not JSON", "invalid_request_error")
        if not isinstance(request, dict) or not isinstance(request.get("messages"), list):
            return _error(400, "messages is required", "invalid_request_error")
        mode = output_mode(request)
        rejection = self._rejection(request, mode)
        if rejection is not None:
            return rejection
        await self._latency()
        if self._chance(self.options.hang_rate):
            await asyncio.sleep(_HANG_SECONDS)
        if self._chance(self.options.rate_limit_rate):
            return _error(429, "Rate limit reached (fake)", "rate_limit_error")
        if self._chance(self.options.fail_rate):
            return _error(500, "The fake server failed on purpose", "server_error")
        return 200, self._answer(request, mode)

    def _answer(self, request: dict[str, Any], mode: str) -> dict[str, Any]:
        messages = request["messages"]
        choice = first_candidate_choice(
            find_prompt_payload(messages), invent_id=self._chance(self.options.invent_ids_rate)
        )
        text = GARBAGE if self._chance(self.options.garbage_rate) else orjson.dumps(choice).decode()
        usage = self._usage(messages, text)
        model = str(request.get("model") or self.options.model)
        if mode == "tools":
            call = (f"call_{self.requests}", SUBMIT_TOOL_NAME, text)
            return completion_body(tool_calls=[call], usage=usage, model=model)
        if mode == "prompt":
            text = f"Here is my decision:\n```json\n{text}\n```"
        return completion_body(content=text, usage=usage, model=model)

    def models(self) -> dict[str, Any]:
        return {"object": "list", "data": [{"id": self.options.model, "object": "model", "owned_by": "nextbest"}]}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path, method = scope["path"], scope["method"]
        headers: list[tuple[bytes, bytes]] = []
        if method == "POST" and path in _CHAT_PATHS:
            body = await _read_body(receive)
            began = time.perf_counter()
            status, payload = await self.chat(body)
            # The model's own time as the model saw it: the sleep (which overshoots by up to a timer tick,
            # ~1 ms on uvloop) and building the answer. Clients subtract it to get their own overhead.
            elapsed_ms = (time.perf_counter() - began) * 1000
            headers.append((MODEL_MS_HEADER.encode(), f"{elapsed_ms:.3f}".encode()))
        elif method == "GET" and path in _MODEL_PATHS:
            status, payload = 200, self.models()
        else:
            status, payload = _error(404, f"no route {method} {path}", "not_found")
        await _respond(send, status, payload, headers)


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _respond(send: Send, status: int, payload: dict[str, Any], extra: list[tuple[bytes, bytes]]) -> None:
    body = orjson.dumps(payload)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
