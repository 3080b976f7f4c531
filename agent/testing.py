"""Test doubles for the model layer, shipped in the package so tests, evals and benchmarks share them.

`ScriptedModel` answers through the same `ChatModel` interface as the real client, from a script, and
records every request. `choose_first_candidate()` is a script step that answers from the request itself.

The candidate convention (the prompt builder follows it; the fakes rely on it): the LAST user message holds
a JSON object, possibly inside a ```json fence, with a key "candidates" holding
`{"products": [{"product_id": ...}], "offers": [{"offer_id": ...}], "channels": ["email"], "placements": []}`
and a key "playbook" holding `{"id": ..., "action": "message"|..., "max_products": n}`.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import orjson

from nextbest.contracts import ActionKind, Channel, FallbackReason, ModelCall, ModelChoice
from nextbest.errors import ModelError

from .model import ModelReply, ModelRequest, ToolCall, count_message_tokens, count_tokens, extract_json_object

__all__ = [
    "Gate",
    "Hang",
    "Policy",
    "ScriptExhaustedError",
    "ScriptedModel",
    "Step",
    "choose_first_candidate",
    "completion_body",
    "find_prompt_payload",
    "first_candidate_choice",
]

_FENCE = re.compile(r"```(?:json)?\s*\n(.*?)```", re.DOTALL)
_ACTIONS = frozenset(kind.value for kind in ActionKind)
_CHANNELS = frozenset(channel.value for channel in Channel)
DEFAULT_MAX_PRODUCTS = 3


@dataclass(frozen=True)
class Hang:
    """The model says nothing for `seconds`: past the deadline that is a MODEL_TIMEOUT, otherwise the
    next step answers the same call late."""

    seconds: float


@dataclass(frozen=True)
class Gate:
    """The model says nothing until `opened` is set (by the test: no wall time), then the next step answers
    the same call. `reached` is set as the call starts waiting, so a test knows the model is being asked."""

    opened: asyncio.Event
    reached: asyncio.Event | None = None


Answer: TypeAlias = ModelChoice | Mapping[str, Any] | list[ToolCall] | str
Policy: TypeAlias = Callable[[ModelRequest], Answer]
Step: TypeAlias = Answer | BaseException | Hang | Gate | Policy
"""A final answer (ModelChoice or dict), tool calls, raw text (JSON or not), an exception, a Hang, a Gate,
or a policy that answers from the request."""


class ScriptExhaustedError(AssertionError):
    """The code under test called the model more often than the script allows. Not a ModelError on
    purpose: a fallback must not hide it."""


def _text_of(message: Mapping[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""


def _payload_in(text: str) -> dict[str, Any] | None:
    for block in [*_FENCE.findall(text), text]:
        try:
            value = orjson.loads(block)
        except orjson.JSONDecodeError:
            continue
        if isinstance(value, dict) and "candidates" in value:
            return value
    # A trimmed or unusual prompt: decode from every brace until an object with candidates turns up.
    decoder = json.JSONDecoder()
    for start in (index for index, char in enumerate(text) if char == "{"):
        try:
            value, _ = decoder.raw_decode(text, start)
        except ValueError:
            continue
        if isinstance(value, dict) and "candidates" in value:
            return value
    return None


def find_prompt_payload(messages: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The JSON object with "candidates" in the newest user message that has one (a repair turn adds a
    user message without it), or None."""
    for message in reversed(messages):
        if message.get("role") == "user" and (payload := _payload_in(_text_of(message))) is not None:
            return payload
    return None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _ids(items: Any, key: str) -> list[str]:
    if not isinstance(items, list):
        return []
    return [str(item[key]) for item in items if isinstance(item, dict) and item.get(key)]


def first_candidate_choice(payload: Mapping[str, Any] | None, *, invent_id: bool = False) -> dict[str, Any]:
    """A valid ModelChoice (as JSON) taking the playbook's action, the first channel, placement and offer
    and up to three products. `invent_id` adds a product id that is not a candidate."""
    payload = payload or {}
    playbook = _mapping(payload.get("playbook"))
    candidates = _mapping(payload.get("candidates"))
    action = playbook.get("action") if playbook.get("action") in _ACTIONS else ActionKind.NONE.value
    limit = playbook.get("max_products")
    limit = min(limit, DEFAULT_MAX_PRODUCTS) if isinstance(limit, int) and limit >= 0 else DEFAULT_MAX_PRODUCTS
    channels = [c for c in candidates.get("channels") or [] if c in _CHANNELS]
    placements = [p for p in candidates.get("placements") or [] if isinstance(p, str)]
    products = _ids(candidates.get("products"), "product_id")[:limit]
    offers = _ids(candidates.get("offers"), "offer_id")
    if invent_id:
        products = [*products[: max(limit - 1, 0)], "P-INVENTED-0001"]
    choice: dict[str, Any] = {
        "action": action,
        "channel": channels[0] if channels else None,
        "placement": placements[0] if placements else None,
        "product_ids": [] if action == ActionKind.NONE else products,
        "offer_id": offers[0] if offers and action != ActionKind.NONE else None,
        "message": None,
        "score": 0.7 if action != ActionKind.NONE else 0.3,
        "reasons": ["first candidates, picked by a fake model"],
    }
    if action in (ActionKind.MESSAGE, ActionKind.OFFER):
        choice["message"] = {
            "title": "Picked for you",
            "body": "We saved a few favourites for you. Take a look when you have a moment.",
            "cta": "Take a look",
        }
    return choice


def choose_first_candidate(*, invent_id: bool = False) -> Policy:
    """A script step that answers with `first_candidate_choice` of the request's prompt payload."""

    def policy(request: ModelRequest) -> Answer:
        return first_candidate_choice(find_prompt_payload(request.messages), invent_id=invent_id)

    return policy


class ScriptedModel:
    """A ChatModel that plays a script, one step per `complete` call, and records the requests."""

    def __init__(self, steps: Iterable[Step], *, name: str = "scripted") -> None:
        self._steps: deque[Step] = deque(steps)
        self._name = name
        self.calls: list[ModelRequest] = []

    @property
    def name(self) -> str:
        return self._name

    @property
    def remaining(self) -> int:
        """Steps not played yet."""
        return len(self._steps)

    def _next_step(self) -> Step:
        if not self._steps:
            raise ScriptExhaustedError(
                f"ScriptedModel {self._name!r} has no step left for call #{len(self.calls)}; "
                f"last messages: {self.calls[-1].messages[-2:]!r}"
            )
        return self._steps.popleft()

    def _call(self, request: ModelRequest, started: float, outcome: str = "ok") -> ModelCall:
        return ModelCall(
            attempt=request.attempt,
            mode="scripted",
            latency_ms=(time.monotonic() - started) * 1000,
            prompt_tokens=count_message_tokens(request.messages),
            tokens_estimated=True,
            outcome=outcome,
        )

    async def complete(self, request: ModelRequest) -> ModelReply:
        """Play the next step(s) of the script for this request."""
        self.calls.append(request)
        started = time.monotonic()
        step = self._next_step()
        while isinstance(step, Gate | Hang):
            if isinstance(step, Gate):
                if step.reached is not None:
                    step.reached.set()
                await step.opened.wait()
                step = self._next_step()
                continue
            remaining = request.deadline - time.monotonic()
            if step.seconds >= remaining:
                await asyncio.sleep(max(remaining, 0))
                call = self._call(request, started, FallbackReason.MODEL_TIMEOUT.value)
                raise ModelError(FallbackReason.MODEL_TIMEOUT, "scripted hang past the deadline", call=call)
            await asyncio.sleep(step.seconds)
            step = self._next_step()
        if isinstance(step, BaseException):
            if isinstance(step, ModelError) and step.call is None:
                step.call = self._call(request, started, step.reason.value)
            raise step
        answer = step(request) if callable(step) else step
        return self._reply(answer, request, started)

    def _reply(self, answer: Answer, request: ModelRequest, started: float) -> ModelReply:
        call = self._call(request, started)
        if isinstance(answer, list):
            call.tool_calls = [tool_call.name for tool_call in answer]
            return ModelReply(choice=None, tool_calls=answer, text="", call=call)
        if isinstance(answer, str):
            try:
                choice = extract_json_object(answer)
            except ValueError as error:
                call.outcome = FallbackReason.INVALID_OUTPUT.value
                raise ModelError(FallbackReason.INVALID_OUTPUT, str(error), raw_output=answer, call=call) from error
            text = answer
        else:
            choice = answer.model_dump(mode="json") if isinstance(answer, ModelChoice) else dict(answer)
            text = orjson.dumps(choice).decode()
        call.completion_tokens = count_tokens(text)
        return ModelReply(choice=choice, tool_calls=[], text=text, call=call)


def completion_body(
    *,
    content: str | None = None,
    tool_calls: Sequence[tuple[str, str, str | Mapping[str, Any]]] = (),
    usage: tuple[int, int] | None = (42, 17),
    model: str = "fake-model",
    finish_reason: str | None = None,
) -> dict[str, Any]:
    """The JSON body of an OpenAI chat completion; tool calls are (id, name, arguments)."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = [
            {
                "id": call_id,
                "type": "function",
                "function": {
                    "name": name,
                    "arguments": arguments if isinstance(arguments, str) else orjson.dumps(arguments).decode(),
                },
            }
            for call_id, name, arguments in tool_calls
        ]
    body: dict[str, Any] = {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": finish_reason or ("tool_calls" if tool_calls else "stop"),
            }
        ],
    }
    if usage is not None:
        body["usage"] = {
            "prompt_tokens": usage[0],
            "completion_tokens": usage[1],
            "total_tokens": usage[0] + usage[1],
        }
    return body
