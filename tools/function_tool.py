"""The one shape of a model-facing tool: name, input and output models, JSON schema, a deadline, and run.

    FunctionTool[In, Out]          subclass it: name, description, input_model, output_model, _answer()
    ├─ json_schema()               the OpenAI function definition, built once per class
    ├─ timeout_s(deadline)         what is left of the decision's deadline (the one bound within a decision)
    ├─ answer(query, deadline=)    ToolAnswer: the output the model reads and the candidates it vouches for
    └─ run(query, deadline=)       the output alone, for callers outside a decision

`_answer` is synchronous (adapters are plain lookups or Chroma calls) and runs in a worker thread, so a
stuck adapter costs the decision its timeout, not the event loop. Any fault becomes ToolError.
The tools a decision offers are listed once, in `tools.registry.MODEL_TOOLS`.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel

from nextbest.contracts import ProductCandidate
from nextbest.errors import ToolError

__all__ = ["STANDALONE_TIMEOUT_S", "FunctionTool", "ToolAnswer", "check_timeout", "function_spec", "run_bounded"]

STANDALONE_TIMEOUT_S = 0.5
"""The bound of a call made outside a decision (no deadline given) when the tool sets none of its own."""

ResultT = TypeVar("ResultT")
QueryT = TypeVar("QueryT")
InT = TypeVar("InT", bound=BaseModel)
OutT = TypeVar("OutT", bound=BaseModel)


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


@dataclass(frozen=True)
class ToolAnswer(Generic[OutT]):
    """What one call returns: the output the model reads, and the products it found and verified.

    `found` may only hold products the tool checked against the catalog and the inventory: they become
    candidates, and validation accepts no product id that no tool vouched for.
    """

    output: OutT
    found: Sequence[ProductCandidate] = ()


class FunctionTool(ABC, Generic[InT, OutT]):
    """A model-facing tool; see the module docstring. Subclasses set the class attributes and `_answer`."""

    name: ClassVar[str]
    description: ClassVar[str]
    input_model: ClassVar[type[BaseModel]]
    output_model: ClassVar[type[BaseModel]]

    def __init__(self, *, max_timeout_s: float | None = None) -> None:
        """`max_timeout_s`, when given, bounds every call besides the deadline; by default a call within a
        decision may use all the time the decision's deadline leaves the model."""
        self.max_timeout_s = None if max_timeout_s is None else check_timeout(max_timeout_s)

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """The OpenAI function-tool definition (built once, a fresh copy each call)."""
        return function_spec(cls.name, cls.description, cls.input_model)

    def timeout_s(self, deadline: float | None) -> float:
        """Seconds this call may take: what is left until `deadline` (a `time.monotonic()` value), under the
        tool's own bound if it has one."""
        if deadline is None:
            return self.max_timeout_s or STANDALONE_TIMEOUT_S
        left = deadline - time.monotonic()
        if left <= 0:
            raise ToolError(self.name, "the decision's deadline has passed")
        return left if self.max_timeout_s is None else min(left, self.max_timeout_s)

    async def answer(self, query: InT, *, deadline: float | None = None) -> ToolAnswer[OutT]:
        """Answer `query` before `deadline`, or raise ToolError on any fault or when time runs out."""
        return await run_bounded(self.name, self.timeout_s(deadline), self._answer, query)

    async def run(self, query: InT, *, deadline: float | None = None) -> OutT:
        """The output alone, for callers that do not gather candidates (a baseline agent, a test)."""
        return (await self.answer(query, deadline=deadline)).output

    @abstractmethod
    def _answer(self, query: InT) -> ToolAnswer[OutT]:
        """The synchronous work, run in a worker thread."""
