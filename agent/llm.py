"""Ask the model to choose among the candidates: one call in the common case, tools if it needs more,
at most one repair turn, never past the deadline."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import orjson

from nextbest.contracts import ActionProposal, CandidateSet, DecideRequest, FallbackReason, ModelCall
from nextbest.errors import ModelError, NextbestError
from nextbest.policy import Brand, Playbook

from .copy_check import instruction_spans
from .model import ChatModel, ModelReply, ModelRequest, ToolCall
from .model.schemas import AnswerLimits, answer_schema
from .prompt import PromptProfile, answer_limits, build_prompt, shown_candidates
from .validate import validate_choice

__all__ = ["LlmOutcome", "ToolBox", "ask_model"]

MAX_TOOL_TURNS = 2
MIN_REPAIR_BUDGET_S = 0.15


class ToolBox(Protocol):
    """The tools the model may call to refine its candidates."""

    def specs(self) -> list[dict[str, Any]]: ...

    async def run(self, call: ToolCall, candidates: CandidateSet, deadline: float) -> tuple[str, CandidateSet]:
        """Answer one call; the returned candidate set may hold new, verified candidates."""
        ...


PENDING = "pending"
"""The outcome of a call still in flight. A cancelled one is closed as `model_timeout`."""


@dataclass
class LlmOutcome:
    """What asking the model produced. The caller may create it and pass it to `ask_model`: every call is
    recorded here as it starts, so the record survives a cancellation (`asyncio.wait_for`)."""

    proposal: ActionProposal | None
    candidates: CandidateSet
    calls: list[ModelCall] = field(default_factory=list)
    tool_calls: list[str] = field(default_factory=list)
    failure: ModelError | None = None
    trimmed: tuple[str, ...] = ()
    adjustments: list[str] = field(default_factory=list)
    """What validation corrected in an otherwise good answer (e.g. a restraint score out of range)."""

    def close_pending(self, outcome: str = FallbackReason.MODEL_TIMEOUT.value) -> None:
        """Close every call still in flight with `outcome` (the caller does this after a cancellation)."""
        for index, call in enumerate(self.calls):
            if call.outcome == PENDING:
                self.calls[index] = call.model_copy(update={"outcome": outcome})


@dataclass
class _Conversation:
    messages: list[dict[str, Any]]
    outcome: LlmOutcome
    limits: AnswerLimits
    profile: PromptProfile = PromptProfile.FULL
    attempt: int = 0


async def _turn(model: ChatModel, convo: _Conversation, tools: list[dict[str, Any]], deadline: float) -> ModelReply:
    # Built per turn: a tool may have added verified candidates, whose ids the schema must then allow.
    schema = answer_schema(shown_candidates(convo.outcome.candidates, convo.profile), convo.limits)
    request = ModelRequest(
        messages=convo.messages, output_schema=schema, tools=tools, deadline=deadline, attempt=convo.attempt
    )
    convo.attempt += 1
    calls = convo.outcome.calls
    slot, started = len(calls), time.monotonic()
    calls.append(ModelCall(attempt=request.attempt, mode="unknown", latency_ms=0, outcome=PENDING))
    try:
        reply = await model.complete(request)
    except ModelError as exc:
        calls[slot] = exc.call or calls[slot].model_copy(
            update={"latency_ms": (time.monotonic() - started) * 1000, "outcome": exc.reason.value}
        )
        raise
    except asyncio.CancelledError:
        # The caller's deadline cancelled us mid-call: the call happened and is closed as a timeout.
        calls[slot] = calls[slot].model_copy(
            update={"latency_ms": (time.monotonic() - started) * 1000, "outcome": FallbackReason.MODEL_TIMEOUT.value}
        )
        raise
    calls[slot] = reply.call
    return reply


async def _run_tools(reply: ModelReply, convo: _Conversation, toolbox: ToolBox, deadline: float) -> None:
    convo.messages.append(reply.assistant_message())
    for call in reply.tool_calls:
        convo.outcome.tool_calls.append(call.name)
        try:
            content, convo.outcome.candidates = await toolbox.run(call, convo.outcome.candidates, deadline)
        except NextbestError as exc:
            content = orjson.dumps({"error": str(exc)}).decode()
        convo.messages.append(call.result_message(content))


async def _final_answer(model: ChatModel, convo: _Conversation, toolbox: ToolBox | None, deadline: float) -> ModelReply:
    tools = toolbox.specs() if toolbox is not None else []
    reply = await _turn(model, convo, tools, deadline)
    turns = 0
    while reply.choice is None and reply.tool_calls and toolbox is not None and turns < MAX_TOOL_TURNS:
        await _run_tools(reply, convo, toolbox, deadline)
        turns += 1
        reply = await _turn(model, convo, tools if turns < MAX_TOOL_TURNS else [], deadline)
    return reply


REPAIRABLE = frozenset(
    {FallbackReason.INVALID_OUTPUT, FallbackReason.HALLUCINATED_ID, FallbackReason.GUARDRAIL_REJECTED}
)


def _repair_messages(said: str, error: ModelError) -> list[dict[str, Any]]:
    return [
        {"role": "assistant", "content": said},
        {
            "role": "user",
            "content": f"Your answer was rejected: {error}. Answer again with one JSON object that "
            'uses only the candidates listed, or choose action "none".',
        },
    ]


async def ask_model(
    model: ChatModel,
    playbook: Playbook,
    brand: Brand,
    request: DecideRequest,
    candidates: CandidateSet,
    *,
    now: datetime,
    deadline: float,
    budget: int,
    repair_turns: int,
    toolbox: ToolBox | None = None,
    outcome: LlmOutcome | None = None,
    profile: PromptProfile = PromptProfile.FULL,
) -> LlmOutcome:
    """The model's validated proposal, or the failure that sends the decision to the rules engine.

    One repair turn is allowed for a wrong answer (bad JSON, unknown ids, a disallowed channel), and only
    while the deadline leaves room for it; timeouts and server errors go straight to the rules. Pass
    `outcome` to read the calls made so far when this coroutine is cancelled.
    """
    bundle = build_prompt(playbook, brand, request, candidates, budget=budget, profile=profile)
    record = outcome if outcome is not None else LlmOutcome(None, candidates)
    record.candidates, record.trimmed = candidates, bundle.fit.dropped
    convo = _Conversation(list(bundle.messages), record, answer_limits(playbook, profile), profile)
    repairs_left = repair_turns
    while True:
        said = ""
        try:
            reply = await _final_answer(model, convo, toolbox, deadline)
            said = reply.text or orjson.dumps(reply.choice).decode()
            # Only the answer that is kept has its corrections recorded, not those of a rejected attempt.
            convo.outcome.adjustments = []
            convo.outcome.proposal = validate_choice(
                reply.choice,
                playbook=playbook,
                candidates=convo.outcome.candidates,
                now=now,
                adjustments=convo.outcome.adjustments,
                instructions=instruction_spans(request, convo.outcome.candidates),
            )
            return convo.outcome
        except ModelError as exc:
            said = said or exc.raw_output or ""
            if exc.reason not in REPAIRABLE or repairs_left <= 0 or deadline - time.monotonic() < MIN_REPAIR_BUDGET_S:
                convo.outcome.failure = exc
                return convo.outcome
            repairs_left -= 1
            convo.messages.extend(_repair_messages(said, exc))
