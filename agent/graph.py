"""The decision graph: LangGraph composes the pipeline steps, the model and one fallback node.

    load_context → gather_candidates ─┬─► decide_with_model ─┬─► verify ─┬─► emit
                                      │                      │           │
                                      └──────────────────────┴─► fallback ◄┘ (rules engine) ─► emit

Every failure edge leads to the single `fallback` node, which asks the deterministic rules engine.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Literal, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from guardrails import PostCheck
from nextbest.contracts import (
    ActionKind,
    ActionProposal,
    CandidateSet,
    DecidedBy,
    DecideRequest,
    Decision,
    FallbackReason,
    GuardrailVerdict,
)

from .context import DecisionContext
from .llm import LlmOutcome, ask_model
from .pipeline import Moment, finish, gather, nothing_allowed, open_moment, rules_proposal, verify

__all__ = ["DecisionState", "build_graph"]

FALLBACK_RESERVE_S = 0.03


class DecisionState(TypedDict, total=False):
    request: DecideRequest
    started: float
    moment: Moment
    candidates: CandidateSet
    proposal: ActionProposal
    decided_by: DecidedBy
    fallback_reason: FallbackReason | None
    extra_verdicts: list[GuardrailVerdict]
    post: PostCheck | None
    decision: Decision


async def load_context(state: DecisionState, runtime: Runtime[DecisionContext]) -> dict[str, Any]:
    return {"moment": await open_moment(state["request"], runtime.context, started=state["started"])}


async def gather_candidates(state: DecisionState, runtime: Runtime[DecisionContext]) -> dict[str, Any]:
    return {"candidates": gather(state["moment"], runtime.context)}


# The routers are `async def` though they never await: LangGraph runs a plain function in a worker thread,
# a thread hop for each of the three routes a decision takes.
async def route_after_gather(state: DecisionState) -> Literal["decide_with_model", "fallback"]:
    return "fallback" if nothing_allowed(state["moment"], state["candidates"]) else "decide_with_model"


def _record(moment: Moment, outcome: LlmOutcome, model_name: str, began: float) -> None:
    moment.trace.model = model_name
    moment.trace.model_calls.extend(outcome.calls)
    moment.trace.tool_calls.extend(outcome.tool_calls)
    moment.lap("model", began)


async def decide_with_model(state: DecisionState, runtime: Runtime[DecisionContext]) -> dict[str, Any]:
    ctx, moment = runtime.context, state["moment"]
    if ctx.model is None or moment.playbook is None:
        return {"fallback_reason": FallbackReason.NO_MODEL_CONFIGURED}
    began = time.monotonic()
    model_deadline = moment.deadline - FALLBACK_RESERVE_S
    try:
        outcome = await asyncio.wait_for(
            ask_model(
                ctx.model,
                moment.playbook,
                moment.policies.brand,
                moment.request,
                state["candidates"],
                now=moment.now,
                deadline=model_deadline,
                budget=ctx.settings.prompt_token_budget,
                repair_turns=ctx.settings.repair_turns,
                toolbox=ctx.toolbox,
            ),
            timeout=max(model_deadline - time.monotonic(), 0.001),
        )
    except TimeoutError:
        moment.lap("model", began)
        return {"fallback_reason": FallbackReason.MODEL_TIMEOUT}
    _record(moment, outcome, ctx.model.name, began)
    if outcome.failure is not None or outcome.proposal is None:
        reason = outcome.failure.reason if outcome.failure else FallbackReason.INVALID_OUTPUT
        return {"fallback_reason": reason, "candidates": outcome.candidates}
    return {
        "proposal": outcome.proposal,
        "candidates": outcome.candidates,
        "decided_by": DecidedBy.LLM,
        "fallback_reason": None,
    }


async def route_after_model(state: DecisionState) -> Literal["verify", "fallback"]:
    return "verify" if state.get("proposal") is not None and state.get("fallback_reason") is None else "fallback"


async def verify_choice(state: DecisionState, runtime: Runtime[DecisionContext]) -> dict[str, Any]:
    """A model proposal that a guardrail blocks outright goes to the rules; adjustments are kept."""

    proposal = state["proposal"]
    post = verify(proposal, state["moment"], state["candidates"], runtime.context)
    if (
        proposal.action is not ActionKind.NONE
        and post.proposal.action is ActionKind.NONE
        and not post.withheld_for_holdout
    ):
        return {"fallback_reason": FallbackReason.GUARDRAIL_REJECTED, "extra_verdicts": post.verdicts}
    return {"post": post}


async def route_after_verify(state: DecisionState) -> Literal["emit", "fallback"]:
    return "fallback" if state.get("fallback_reason") is not None else "emit"


async def fallback(state: DecisionState, runtime: Runtime[DecisionContext]) -> dict[str, Any]:
    moment = state["moment"]
    reason = state.get("fallback_reason")
    if nothing_allowed(moment, state["candidates"]):
        reason = FallbackReason.NOTHING_ALLOWED
    return {
        "proposal": rules_proposal(moment, state["candidates"]),
        "decided_by": DecidedBy.RULES,
        "fallback_reason": reason or FallbackReason.MODEL_ERROR,
    }


async def emit(state: DecisionState, runtime: Runtime[DecisionContext]) -> dict[str, Any]:
    rejected = state.get("extra_verdicts") or []
    extra = [
        verdict.model_copy(update={"name": f"model_choice.{verdict.name}"})
        for verdict in rejected
        if verdict.verdict.value == "block"
    ]
    decision = await finish(
        state["moment"],
        state["candidates"],
        state["proposal"],
        runtime.context,
        decided_by=state.get("decided_by", DecidedBy.RULES),
        reason=state.get("fallback_reason"),
        extra_verdicts=extra,
        post=state.get("post") if state.get("fallback_reason") is None else None,
    )
    return {"decision": decision}


def build_graph() -> Any:
    """Build and compile the decision graph. No checkpointer: it would cost ~10 ms on every decision."""
    graph = StateGraph(DecisionState, context_schema=DecisionContext)
    graph.add_node("load_context", load_context)
    graph.add_node("gather_candidates", gather_candidates)
    graph.add_node("decide_with_model", decide_with_model)
    graph.add_node("verify", verify_choice)
    graph.add_node("fallback", fallback)
    graph.add_node("emit", emit)
    graph.add_edge(START, "load_context")
    graph.add_edge("load_context", "gather_candidates")
    graph.add_conditional_edges("gather_candidates", route_after_gather)
    graph.add_conditional_edges("decide_with_model", route_after_model)
    graph.add_conditional_edges("verify", route_after_verify)
    graph.add_edge("fallback", "emit")
    graph.add_edge("emit", END)
    return graph.compile(name="nextbest-decision")
