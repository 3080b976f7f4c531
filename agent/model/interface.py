"""The chat-model interface the decision graph talks to, and the typed request and reply it exchanges.

Every model (the OpenAI-compatible client, the scripted fake in `agent.testing`) implements `ChatModel`,
so the graph never knows which one it holds.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import openai
import orjson
from pydantic import BaseModel, ConfigDict, Field

from nextbest.contracts import ModelCall, ModelChoice
from nextbest.settings import OutputMode

__all__ = [
    "SUBMIT_TOOL_NAME",
    "ChatModel",
    "ModelConfig",
    "ModelReply",
    "ModelRequest",
    "ToolCall",
    "choice_schema",
]

SUBMIT_TOOL_NAME = "submit_decision"
"""The function the model calls with its final answer in `tools` output mode."""


@functools.cache
def _strict_schema(model: type[BaseModel]) -> dict[str, Any]:
    tool = openai.pydantic_function_tool(model, name=SUBMIT_TOOL_NAME)
    return dict(tool["function"]["parameters"])


def choice_schema(model: type[BaseModel] = ModelChoice) -> dict[str, Any]:
    """The strict JSON schema of `model` (every key required, no extras), as OpenAI's strict mode wants.

    Built once per model class (it is on every request's path), handed out as a copy callers may change:
    a JSON round trip, several times cheaper than `copy.deepcopy` for this plain-JSON tree."""
    copied: dict[str, Any] = orjson.loads(orjson.dumps(_strict_schema(model)))
    return copied


@dataclass(frozen=True)
class ModelConfig:
    """How to reach one model on one OpenAI-compatible endpoint."""

    model: str
    base_url: str | None = None
    api_key: str | None = None
    output_mode: OutputMode = OutputMode.AUTO
    temperature: float = 0.2
    max_tokens: int = 600

    def __post_init__(self) -> None:
        # Accept the plain strings settings files and CLIs hand over; fail here, not at the first call.
        object.__setattr__(self, "output_mode", OutputMode(self.output_mode))


class ModelRequest(BaseModel):
    """One turn: the conversation so far, the answer schema, the tools on offer and a hard deadline."""

    model_config = ConfigDict(frozen=True)

    messages: list[dict[str, Any]]
    output_schema: dict[str, Any] = Field(default_factory=choice_schema)
    tools: list[dict[str, Any]] = Field(default_factory=list, description="OpenAI function tools")
    deadline: float = Field(description="A time.monotonic() value the call must not outlive")
    attempt: int = Field(default=0, ge=0, description="Copied into the ModelCall for the trace")


class ToolCall(BaseModel):
    """One function call the model asked for."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)

    def result_message(self, content: str) -> dict[str, Any]:
        """The `tool` message that answers this call in the next turn."""
        return {"role": "tool", "tool_call_id": self.id, "content": content}


class ModelReply(BaseModel):
    """What came back: a final answer (`choice`), tool calls to run, or both, with the call's accounting."""

    choice: dict[str, Any] | None = Field(description="The parsed JSON object of the final answer")
    tool_calls: list[ToolCall] = Field(default_factory=list)
    text: str = Field(default="", description="The raw text content, kept for repair prompts")
    call: ModelCall

    def assistant_message(self) -> dict[str, Any]:
        """This reply as an assistant message, to append before the tool results of the next turn."""
        message: dict[str, Any] = {"role": "assistant", "content": self.text or None}
        if self.tool_calls:
            message["tool_calls"] = [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": orjson.dumps(call.arguments).decode()},
                }
                for call in self.tool_calls
            ]
        return message


@runtime_checkable
class ChatModel(Protocol):
    """Anything that can answer a `ModelRequest`. Failures raise `nextbest.errors.ModelError`."""

    @property
    def name(self) -> str:
        """The model's name, recorded in the decision trace."""
        ...

    async def complete(self, request: ModelRequest) -> ModelReply:
        """Answer one turn before `request.deadline`, or raise ModelError."""
        ...
