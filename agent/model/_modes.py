"""The request body of each structured-output mode, and which errors mean "this server lacks that mode"."""

from __future__ import annotations

import re
from typing import Any

import openai
import orjson

from nextbest.settings import OutputMode

from .interface import SUBMIT_TOOL_NAME, ModelConfig, ModelRequest
from .schemas import grammar_friendly, grammar_friendly_tool

AUTO_LADDER = (OutputMode.JSON_SCHEMA, OutputMode.JSON_OBJECT, OutputMode.PROMPT)
"""What `auto` tries, best first, until the server accepts one."""

SCHEMA_MODES = frozenset({OutputMode.JSON_SCHEMA, OutputMode.JSON_OBJECT, OutputMode.TOOLS})
"""Modes whose request hands the server a schema to compile; a server that dies on one rejected it."""

_SCHEMA_NAME = "model_choice"
# llama.cpp answers an unknown response_format with 500 "Input should be 'text' or 'json_object'"; vLLM,
# Ollama and OpenAI answer 400/422 naming the parameter.
_REJECTION = re.compile(r"response_format|json_schema|json_object|input should be 'text'", re.IGNORECASE)
_REJECTION_STATUSES = frozenset({400, 422, 500})


def schema_instruction(schema: dict[str, Any]) -> str:
    """The system-prompt paragraph that asks for the answer as JSON when the server cannot enforce it."""
    rendered = orjson.dumps(schema).decode()
    return (
        "Answer with exactly one JSON object that matches this JSON schema, and nothing else "
        f"(no prose, no code fence):\n{rendered}"
    )


def _with_instruction(messages: list[dict[str, Any]], instruction: str) -> list[dict[str, Any]]:
    if messages and messages[0].get("role") == "system" and isinstance(messages[0].get("content"), str):
        first = {**messages[0], "content": f"{messages[0]['content']}\n\n{instruction}"}
        return [first, *messages[1:]]
    return [{"role": "system", "content": instruction}, *messages]


def submit_tool(schema: dict[str, Any]) -> dict[str, Any]:
    """The function tool whose arguments are the final answer."""
    return {
        "type": "function",
        "function": {
            "name": SUBMIT_TOOL_NAME,
            "description": "Submit the final decision. Call it exactly once, when you have decided.",
            "parameters": schema,
        },
    }


def build_arguments(config: ModelConfig, request: ModelRequest, mode: OutputMode) -> dict[str, Any]:
    """Keyword arguments for `chat.completions.create` asking for `request` in `mode`."""
    # Every schema leaves here bounded, whoever built it: see agent/model/schemas.py.
    schema = grammar_friendly(request.output_schema)
    messages = request.messages
    tools = [grammar_friendly_tool(tool) for tool in request.tools]
    arguments: dict[str, Any] = {
        "model": config.model,
        "temperature": config.temperature,
        "max_tokens": config.max_tokens,
    }
    if mode is OutputMode.JSON_SCHEMA:
        arguments["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": _SCHEMA_NAME, "schema": schema, "strict": True},
        }
    elif mode is OutputMode.JSON_OBJECT:
        # OpenAI and vLLM ignore "schema" but want JSON named in the prompt; llama.cpp enforces "schema".
        arguments["response_format"] = {"type": "json_object", "schema": schema}
        messages = _with_instruction(messages, schema_instruction(schema))
    elif mode is OutputMode.TOOLS:
        tools.append(submit_tool(schema))
        # Forcing the submit tool by name would hide the other tools; "required" keeps them callable.
        arguments["tool_choice"] = (
            "required" if request.tools else {"type": "function", "function": {"name": SUBMIT_TOOL_NAME}}
        )
    elif mode is OutputMode.PROMPT:
        messages = _with_instruction(messages, schema_instruction(schema))
    else:
        raise ValueError(f"no request body for output mode {mode}")
    if tools:
        arguments["tools"] = tools
        arguments.setdefault("tool_choice", "auto")
    arguments["messages"] = messages
    return arguments


def rejects_mode(error: openai.APIStatusError) -> bool:
    """True when the server refused the request because of its output format, not its content."""
    if error.status_code not in _REJECTION_STATUSES:
        return False
    return bool(_REJECTION.search(f"{error.message} {error.body}"))


def sent_schema(request: ModelRequest, mode: OutputMode) -> bool:
    """True when the request in `mode` hands the server a schema (answer or tool parameters) to compile."""
    return mode in SCHEMA_MODES or bool(request.tools)
