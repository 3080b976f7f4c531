"""Asking the model, as graph steps: one call per visit of `call_model`, tool turns and a repair turn as
edges back to it.

    call_model ─┬─► run_tools ─► call_model      (at most MAX_TOOL_TURNS, then tools are withdrawn)
                ├─► repair ────► call_model      (a wrong answer, once, while the deadline leaves room)
                ├─► verify                        (a valid proposal)
                └─► rules                         (timeout, server error, or a wrong answer that stays wrong)

Every call is on the decision's trace from the moment it starts, so a call cut off by the deadline still
shows, with outcome `timeout`.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import orjson

from nextbest.contracts import ActionProposal, CandidateSet, FallbackReason, ModelCall
from nextbest.errors import ModelError, NextbestError

from .context import ToolBox
from .copy_check import instruction_spans
from .model import ChatModel, ModelReply, ModelRequest
from .model.schemas import AnswerLimits, answer_schema
from .moment import Moment
from .prompt import PromptProfile, answer_limits, build_prompt, shown_candidates
from .validate import Rejection, RejectionKind, validate_choice

__all__ = [
    "MAX_TOOL_TURNS",
    "REPAIRABLE",
    "Conversation",
    "ToolBox",
    "cut_off",
    "next_turn",
    "repair",
    "run_tools",
    "turn",
]

MAX_TOOL_TURNS = 2
REPAIRABLE = frozenset(
    {FallbackReason.INVALID_OUTPUT, FallbackReason.HALLUCINATED_ID, FallbackReason.GUARDRAIL_REJECTED}
)


@dataclass
class Conversation:
    """The model conversation of one decision, carried from turn to turn in the graph state.

    `adjustments` lists what validation corrected rather than rejected (a restraint score out of range)."""

    messages: list[dict[str, Any]]
    repairs_left: int
    limits: AnswerLimits
    profile: PromptProfile = PromptProfile.FULL
    adjustments: list[str] = field(default_factory=list)
    attempt: int = 0
    tool_turns: int = 0
    reply: ModelReply | None = None
    rejection: Rejection | None = None
    said: str = ""
    trimmed: tuple[str, ...] = field(default_factory=tuple)


def start_conversation(
    moment: Moment, candidates: CandidateSet, *, budget: int, repair_turns: int, profile: PromptProfile
) -> Conversation:
    playbook = moment.playbook
    assert playbook is not None
    bundle = build_prompt(playbook, moment.policies.brand, moment.request, candidates, budget=budget, profile=profile)
    return Conversation(
        list(bundle.messages),
        repairs_left=repair_turns,
        limits=answer_limits(playbook, profile),
        profile=profile,
        trimmed=bundle.fit.dropped,
    )


def _started(moment: Moment, attempt: int) -> int:
    """Put the call on the trace before it is made; returns its index there."""
    moment.trace.model_calls.append(ModelCall(attempt=attempt, mode="pending", latency_ms=0, outcome="started"))
    return len(moment.trace.model_calls) - 1


def _closed(moment: Moment, index: int, call: ModelCall) -> None:
    moment.trace.model_calls[index] = call


async def turn(
    model: ChatModel, convo: Conversation, moment: Moment, candidates: CandidateSet, toolbox: ToolBox | None
) -> FallbackReason | None:
    """One model call, its answer validated: leaves a reply or a rejection in `convo`, or returns the reason
    the model cannot be used any more (timeout, server error)."""
    tools = toolbox.specs() if toolbox is not None and convo.tool_turns < MAX_TOOL_TURNS else []
    # Built per turn: a tool may have added verified candidates, whose ids the schema must then allow.
    schema = answer_schema(shown_candidates(candidates, convo.profile), convo.limits)
    request = ModelRequest(
        messages=convo.messages,
        output_schema=schema,
        tools=tools,
        deadline=moment.deadline.model_until,
        attempt=convo.attempt,
    )
    index, began = _started(moment, convo.attempt), time.monotonic()
    convo.attempt += 1
    convo.reply, convo.rejection = None, None
    try:
        async with asyncio.timeout(max(moment.deadline.model_remaining(), 0.001)):
            reply = await model.complete(request)
    except TimeoutError:
        latency = round((time.monotonic() - began) * 1000, 3)
        _closed(
            moment, index, ModelCall(attempt=request.attempt, mode="unknown", latency_ms=latency, outcome="timeout")
        )
        return FallbackReason.MODEL_TIMEOUT
    except ModelError as exc:
        latency = round((time.monotonic() - began) * 1000, 3)
        failed = exc.call or ModelCall(attempt=request.attempt, mode="unknown", latency_ms=latency, outcome="")
        outcome = "timeout" if exc.reason is FallbackReason.MODEL_TIMEOUT else exc.reason.value
        _closed(moment, index, failed.model_copy(update={"outcome": outcome}))
        if exc.reason not in REPAIRABLE:
            return exc.reason
        convo.said = exc.raw_output or ""
        convo.rejection = Rejection(RejectionKind.UNPARSEABLE, str(exc).split(": ", 1)[-1], exc.reason)
        return None
    _closed(moment, index, reply.call)
    convo.reply = reply
    convo.said = reply.text or orjson.dumps(reply.choice).decode()
    return None


def cut_off(moment: Moment, since: float, now: float) -> None:
    """Close the call the deadline's reserve cut off (still `started` on the trace) as a timeout."""
    for index, call in enumerate(moment.trace.model_calls):
        if call.outcome == "started":
            latency = round(max(now - since, 0) * 1000, 3)
            _closed(
                moment, index, call.model_copy(update={"mode": "unknown", "latency_ms": latency, "outcome": "timeout"})
            )


def wants_tools(convo: Conversation, toolbox: ToolBox | None) -> bool:
    reply = convo.reply
    return (
        reply is not None
        and reply.choice is None
        and bool(reply.tool_calls)
        and toolbox is not None
        and convo.tool_turns < MAX_TOOL_TURNS
    )


def judge(convo: Conversation, moment: Moment, candidates: CandidateSet) -> ActionProposal | None:
    """Validate the final answer in `convo`; a wrong one leaves its rejection there."""
    if convo.rejection is not None:
        return None
    assert moment.playbook is not None
    convo.adjustments.clear()  # only the corrections of the answer that is kept
    result = validate_choice(
        convo.reply.choice if convo.reply else None,
        playbook=moment.playbook,
        candidates=candidates,
        now=moment.now,
        adjustments=convo.adjustments,
        instructions=instruction_spans(moment.request, candidates),
    )
    if isinstance(result, Rejection):
        convo.rejection = result
        return None
    return result


def next_turn(convo: Conversation, moment: Moment) -> bool:
    """Whether a rejected answer earns a repair turn: repairable, one left, and time for it."""
    rejection = convo.rejection
    return (
        rejection is not None
        and rejection.reason in REPAIRABLE
        and convo.repairs_left > 0
        and moment.deadline.allows_repair()
    )


async def run_tools(convo: Conversation, moment: Moment, candidates: CandidateSet, toolbox: ToolBox) -> CandidateSet:
    """Answer the model's tool calls; the candidates may grow by what the tools verified."""
    reply = convo.reply
    assert reply is not None
    convo.messages.append(reply.assistant_message())
    convo.tool_turns += 1
    for call in reply.tool_calls:
        moment.trace.tool_calls.append(call.name)
        try:
            content, candidates = await toolbox.run(call, candidates, moment.deadline.model_until)
        except NextbestError as exc:
            content = orjson.dumps({"error": str(exc)}).decode()
        convo.messages.append(call.result_message(content))
    return candidates


def repair(convo: Conversation) -> None:
    """Tell the model what was wrong and ask once more."""
    assert convo.rejection is not None
    convo.repairs_left -= 1
    convo.messages.extend(
        [
            {"role": "assistant", "content": convo.said},
            {
                "role": "user",
                "content": f"Your answer was rejected: {convo.rejection}. Answer again with one JSON object that "
                'uses only the candidates listed, or choose action "none".',
            },
        ]
    )
