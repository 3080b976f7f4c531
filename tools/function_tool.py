"""What every model-facing tool shares: its OpenAI function definition and a bounded, fault-wrapped run."""

from __future__ import annotations

import asyncio
import copy
import functools
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel

from nextbest.errors import ToolError

__all__ = ["check_timeout", "function_spec", "run_bounded"]

ResultT = TypeVar("ResultT")
QueryT = TypeVar("QueryT")


def _inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """Replace `$ref`s with their definitions: several OpenAI-compatible servers reject `$defs`."""
    definitions: dict[str, Any] = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                return resolve(definitions[ref.rsplit("/", 1)[-1]])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


@functools.cache
def _spec(name: str, description: str, parameters: type[BaseModel]) -> dict[str, Any]:
    schema = _inline_refs(parameters.model_json_schema())
    schema.pop("title", None)
    return {"type": "function", "function": {"name": name, "description": description, "parameters": schema}}


def function_spec(name: str, description: str, parameters: type[BaseModel]) -> dict[str, Any]:
    """The OpenAI function-tool definition; built once per tool, handed out as a copy callers may change."""
    return copy.deepcopy(_spec(name, description, parameters))


def check_timeout(timeout_s: float) -> float:
    if timeout_s <= 0:
        raise ValueError("timeout_s must be positive")
    return timeout_s


async def run_bounded(name: str, timeout_s: float, call: Callable[[QueryT], ResultT], query: QueryT) -> ResultT:
    """Run a synchronous tool call in a worker thread; a timeout or any fault becomes ToolError."""
    try:
        async with asyncio.timeout(timeout_s):
            return await asyncio.to_thread(call, query)
    except TimeoutError as exc:
        raise ToolError(name, f"timed out after {timeout_s:g}s") from exc
    except Exception as exc:  # any adapter fault: callers fall back on ToolError, never on a stray type
        raise ToolError(name, str(exc) or type(exc).__name__) from exc
