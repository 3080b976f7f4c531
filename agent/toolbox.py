"""The tools the model may call to refine its candidates: every tool in `tools.registry.MODEL_TOOLS`.

A product a tool finds becomes a candidate only when the tool vouches for it (the catalog knows it, the
inventory holds it), so validation can keep rejecting every id that no tool vouched for.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from pydantic import BaseModel, ValidationError

from nextbest.contracts import CandidateSet, ProductCandidate
from nextbest.errors import ToolError
from tools.registry import AnyTool, ToolDeps, model_tools

from .model import ToolCall

__all__ = ["MAX_FOUND_CANDIDATES", "DecisionToolBox"]

MAX_FOUND_CANDIDATES = 10
"""At most this many new candidates per call, however many products a tool lists."""


def _json(value: BaseModel | dict[str, Any]) -> str:
    data = value.model_dump(mode="json") if isinstance(value, BaseModel) else value
    return orjson.dumps(data).decode()


def _with_found(candidates: CandidateSet, found: Sequence[ProductCandidate]) -> CandidateSet:
    if not found:
        return candidates
    known = {item.product_id for item in candidates.products}
    fresh = [item for item in found if item.product_id not in known][:MAX_FOUND_CANDIDATES]
    return candidates.model_copy(update={"products": [*candidates.products, *fresh]})


class DecisionToolBox:
    """Satisfies `agent.llm.ToolBox` over a list of tools; no tool is named here."""

    def __init__(self, tools: Sequence[AnyTool]) -> None:
        self._tools = {tool.name: tool for tool in tools}
        if len(self._tools) != len(tools):
            raise ValueError(f"two tools share a name: {[tool.name for tool in tools]}")
        self._specs = [tool.json_schema() for tool in tools]

    @classmethod
    def from_registry(cls, deps: ToolDeps) -> DecisionToolBox:
        """Every registered tool `deps` can support."""
        return cls(model_tools(deps))

    @property
    def names(self) -> list[str]:
        return list(self._tools)

    def specs(self) -> list[dict[str, Any]]:
        return list(self._specs)

    async def run(self, call: ToolCall, candidates: CandidateSet, deadline: float) -> tuple[str, CandidateSet]:
        """Answer one call within what is left of `deadline`; bad arguments are told to the model."""
        tool = self._tools.get(call.name)
        if tool is None:
            raise ToolError(call.name, "no such tool")
        try:
            query = tool.input_model.model_validate(call.arguments)
        except ValidationError as exc:
            return _json({"error": f"invalid arguments: {exc.errors()[0]['msg']}"}), candidates
        answer = await tool.answer(query, deadline=deadline)
        return _json(answer.output), _with_found(candidates, answer.found)
