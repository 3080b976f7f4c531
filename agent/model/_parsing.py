"""Turning a chat completion into a ModelReply: JSON extraction, tool calls and token usage."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson
from openai.types.chat import ChatCompletion

from .interface import SUBMIT_TOOL_NAME, ToolCall

_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.DOTALL)
_RAW_OUTPUT_LIMIT = 4000


class OutputError(ValueError):
    """The model's text is not a JSON object; carries the raw text for the repair turn."""

    def __init__(self, message: str, raw: str) -> None:
        super().__init__(message)
        self.raw = raw[:_RAW_OUTPUT_LIMIT]


def _loads_object(text: str) -> dict[str, Any] | None:
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def extract_json_object(text: str) -> dict[str, Any]:
    """The JSON object in `text`: bare, inside a ```json fence, or between the first `{` and the last `}`."""
    stripped = text.strip()
    if not stripped:
        raise OutputError("the model returned no content", text)
    candidates = [stripped, *(block.strip() for block in _FENCE.findall(stripped))]
    start, end = stripped.find("{"), stripped.rfind("}")
    if 0 <= start < end:
        candidates.append(stripped[start : end + 1])
    for candidate in candidates:
        value = _loads_object(candidate)
        if value is not None:
            return value
    raise OutputError("the model's answer is not a JSON object", text)


@dataclass(frozen=True)
class ParsedMessage:
    choice: dict[str, Any] | None
    tool_calls: list[ToolCall]
    text: str
    completion_text: str


def _parse_tool_calls(completion: ChatCompletion) -> tuple[list[ToolCall], dict[str, Any] | None, str]:
    message = completion.choices[0].message
    calls: list[ToolCall] = []
    submitted: dict[str, Any] | None = None
    arguments_text = ""
    for raw in message.tool_calls or []:
        if raw.type != "function":
            continue
        arguments_text += raw.function.arguments
        if raw.function.name == SUBMIT_TOOL_NAME:
            submitted = extract_json_object(raw.function.arguments)
            continue
        arguments = _loads_object(raw.function.arguments or "{}")
        if arguments is None:
            raise OutputError(f"tool call {raw.function.name} has non-object arguments", raw.function.arguments)
        calls.append(ToolCall(id=raw.id, name=raw.function.name, arguments=arguments))
    return calls, submitted, arguments_text


def parse_message(completion: ChatCompletion) -> ParsedMessage:
    """The final answer and tool calls of `completion`. Raises OutputError when neither can be read."""
    # The SDK builds the completion without validating it: a body that is no completion has no choices.
    if not getattr(completion, "choices", None):
        raise OutputError("the server returned no choices", "")
    text = completion.choices[0].message.content or ""
    calls, choice, arguments_text = _parse_tool_calls(completion)
    if choice is None and not calls:
        # Lenient on purpose: some servers answer in text even when a tool or a format was asked for.
        choice = extract_json_object(text)
    return ParsedMessage(choice=choice, tool_calls=calls, text=text, completion_text=text + arguments_text)
