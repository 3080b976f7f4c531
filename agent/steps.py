"""The decision's steps and the roads between them: the one list that both the LangGraph graph and the
direct (no-model) runner are generated from.

    load_context → gather_candidates ─┬─► call_model ─┬─► verify ─┬─► emit
                                      │    ▲   ▲      │           │
                                      │ run_tools repair (edges back to call_model)
                                      └───────────────┴─► rules ◄─┘ ─► emit

`gather_candidates` also computes the rules answer, so it is ready whenever the model fails, is slow or is
not asked (no model configured, shadow mode, nothing allowed). Every step is a plain async function of the
state and the typed context; a router only reads the state.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypedDict

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
from nextbest.learning import segment_key
from nextbest.policy import Fact

from . import llm, rules
from .candidates import ChannelPermissions, gather_candidates
from .context import DecisionContext
from .deadline import Deadline
from .emit import emit_decision, verify
from .moment import Moment, blocked_reason, nothing_allowed, nothing_to_ask, open_moment
from .prompt import PromptProfile
from .ready import Ready

__all__ = ["END", "RUN", "STEPS", "DecisionState", "Ready", "Step", "gather", "rules_proposal"]

END = "__end__"
RUN = "run"
"""Who claims a decision committed by the run's own `emit` step (the service's cut-off is the other)."""


class DecisionState(TypedDict, total=False):
    request: DecideRequest
    deadline: Deadline
    ask_model: bool
    ready: Ready
    moment: Moment
    candidates: CandidateSet
    proposal: ActionProposal
    decided_by: DecidedBy
    fallback_reason: FallbackReason | None
    extra_verdicts: list[GuardrailVerdict]
    post: PostCheck | None
    convo: llm.Conversation
    decision: Decision


Update = dict[str, Any]
Node = Callable[[DecisionState, DecisionContext], Awaitable[Update]]
Router = Callable[[DecisionState], Awaitable[str]]


@dataclass(frozen=True)
class Step:
    """One node: what it does, and where the request goes next (a fixed step, or a router and its roads)."""

    name: str
    run: Node
    then: str | Router
    roads: tuple[str, ...] = ()


def gather(moment: Moment, ctx: DecisionContext) -> CandidateSet:
    began = time.monotonic()
    playbook = moment.playbook
    if playbook is None:
        return CandidateSet(playbook_id="")
    permissions = ChannelPermissions(
        channels=moment.pre.transactional_channels if playbook.transactional else moment.pre.allowed_channels,
        blocked_offer_ids=moment.pre.blocked_offer_ids,
        promotions_allowed=moment.pre.promotions_allowed,
        redemptions=moment.guard.history.offer_redemptions(),
    )
    candidates = gather_candidates(
        playbook, moment.request, moment.tools, permissions, now=moment.now, nearest=moment.facts.nearest
    )
    moment.trace.candidates = {
        "products": len(candidates.products),
        "offers": len(candidates.offers),
        "channels": len(candidates.channels),
    }
    moment.lap("gather", began)
    return candidates


def rules_proposal(moment: Moment, candidates: CandidateSet) -> ActionProposal:
    """The deterministic answer for this moment: used alone, as the fallback, and in shadow mode."""
    reason = blocked_reason(moment)
    if reason is not None or moment.playbook is None:
        return rules.hold_back(reason or "no playbook", use_case=moment.playbook.id if moment.playbook else None)
    return rules.propose(
        moment.playbook,
        candidates,
        request=moment.request,
        brand=moment.policies.brand,
        now=moment.now,
        closed=moment.pre.closed_channels,
    )


# --- nodes ------------------------------------------------------------------------------------------------


async def load_context(state: DecisionState, ctx: DecisionContext) -> Update:
    moment = await open_moment(state["request"], ctx, state["deadline"])
    state["ready"].moment = moment
    return {"moment": moment}


async def explore(moment: Moment, candidates: CandidateSet, ctx: DecisionContext) -> CandidateSet:
    """A learning playbook's arm, drawn among the open ones before anyone decides; the candidates narrowed to it
    (holdout too: its decision logs the arm it would have served)."""
    playbook = moment.playbook
    if ctx.learner is None or playbook is None or not playbook.learning.on or blocked_reason(moment) is not None:
        return candidates
    facts = moment.facts
    segment = segment_key(playbook.learning, tier=facts.get(Fact.LOYALTY_TIER), surface=facts.get(Fact.SURFACE))
    narrowed, moment.draw = await ctx.learner.draw(playbook, candidates, segment)
    return narrowed


async def gather_candidates_node(state: DecisionState, ctx: DecisionContext) -> Update:
    moment = state["moment"]
    candidates = await explore(moment, gather(moment, ctx), ctx)
    ready = state["ready"]
    ready.candidates, ready.proposal = candidates, rules_proposal(moment, candidates)
    return {"candidates": candidates}


async def call_model(state: DecisionState, ctx: DecisionContext) -> Update:
    """One model call (the first builds the prompt); its answer is validated here."""
    moment, model = state["moment"], ctx.model
    if model is None or moment.playbook is None:  # the router never sends such a request here
        return {"fallback_reason": FallbackReason.NO_MODEL_CONFIGURED}
    began = time.monotonic()
    convo = state.get("convo") or llm.start_conversation(
        moment,
        state["candidates"],
        budget=ctx.settings.prompt_token_budget,
        repair_turns=ctx.settings.repair_turns,
        profile=PromptProfile(ctx.settings.prompt_profile),
    )
    moment.trace.model = model.name
    state["ready"].asking_model, state["ready"].asking_since = True, began
    try:
        failure = await llm.turn(model, convo, moment, state["candidates"], ctx.toolbox)
    finally:
        state["ready"].asking_model = False
        moment.trace.steps_ms["model"] = round(
            moment.trace.steps_ms.get("model", 0) + (time.monotonic() - began) * 1000, 3
        )
    if failure is not None:
        return {"convo": convo, "fallback_reason": failure}
    if llm.wants_tools(convo, ctx.toolbox):
        return {"convo": convo}
    proposal = llm.judge(convo, moment, state["candidates"])
    moment.trace.adjustments = list(convo.adjustments)
    if proposal is None:
        assert convo.rejection is not None
        return {"convo": convo, "fallback_reason": convo.rejection.reason}
    return {"convo": convo, "proposal": proposal, "decided_by": DecidedBy.LLM, "fallback_reason": None}


async def run_tools(state: DecisionState, ctx: DecisionContext) -> Update:
    assert ctx.toolbox is not None
    candidates = await llm.run_tools(state["convo"], state["moment"], state["candidates"], ctx.toolbox)
    return {"candidates": candidates}


async def repair(state: DecisionState, ctx: DecisionContext) -> Update:
    llm.repair(state["convo"])
    return {"fallback_reason": None}


async def verify_choice(state: DecisionState, ctx: DecisionContext) -> Update:
    """A model proposal that a guardrail blocks outright goes to the rules; adjustments are kept."""
    proposal = state["proposal"]
    post = verify(proposal, state["moment"], ctx)
    if (
        proposal.action is not ActionKind.NONE
        and post.proposal.action is ActionKind.NONE
        and not post.withheld_for_holdout
    ):
        return {"fallback_reason": FallbackReason.GUARDRAIL_REJECTED, "extra_verdicts": post.verdicts}
    return {"post": post}


def fallback_reason(state: DecisionState, moment: Moment, candidates: CandidateSet) -> FallbackReason:
    """The one place that names why the rules decide."""
    if state["ready"].cut_off and state.get("ask_model"):
        return FallbackReason.DEADLINE_EXCEEDED
    reason = state.get("fallback_reason")
    if nothing_allowed(moment, candidates) or (reason is None and nothing_to_ask(moment, candidates)):
        return FallbackReason.NOTHING_ALLOWED
    return reason or FallbackReason.MODEL_ERROR


async def rules_node(state: DecisionState, ctx: DecisionContext) -> Update:
    moment, candidates = state["moment"], state["candidates"]
    ready = state["ready"]
    proposal = ready.proposal if ready.candidates is candidates and ready.proposal is not None else None
    return {
        "proposal": proposal or rules_proposal(moment, candidates),
        "decided_by": DecidedBy.RULES,
        "fallback_reason": fallback_reason(state, moment, candidates),
    }


async def emit(state: DecisionState, ctx: DecisionContext) -> Update:
    if not state["ready"].claim(RUN, state["deadline"].now()):
        return {}  # the cut-off claimed this decision first: its commit stands, and this run has no answer
    rejected = state.get("extra_verdicts") or []
    extra = [
        verdict.model_copy(update={"name": f"model_choice.{verdict.name}"})
        for verdict in rejected
        if verdict.verdict.value == "block"
    ]
    decided_by = state.get("decided_by", DecidedBy.RULES)
    decision = await emit_decision(
        state["moment"],
        state["candidates"],
        state["proposal"],
        ctx,
        decided_by=decided_by,
        reason=state.get("fallback_reason"),
        extra_verdicts=extra,
        post=state.get("post") if decided_by is DecidedBy.LLM else None,
    )
    return {"decision": decision}


# --- roads ------------------------------------------------------------------------------------------------


async def after_gather(state: DecisionState) -> str:
    if state["ready"].cut_off:  # the deadline's reserve came before the candidates: no time for a model
        return "rules"
    if not state.get("ask_model") or nothing_to_ask(state["moment"], state["candidates"]):
        return "rules"
    return "call_model"


async def after_model(state: DecisionState) -> str:
    convo = state["convo"]
    if state.get("proposal") is not None and state.get("fallback_reason") is None:
        return "verify"
    if state.get("fallback_reason") is None:  # no answer yet: the model asked for tools
        return "run_tools"
    return "repair" if llm.next_turn(convo, state["moment"]) else "rules"


async def after_verify(state: DecisionState) -> str:
    return "rules" if state.get("fallback_reason") is not None else "emit"


STEPS: tuple[Step, ...] = (
    Step("load_context", load_context, "gather_candidates"),
    Step("gather_candidates", gather_candidates_node, after_gather, ("call_model", "rules")),
    Step("call_model", call_model, after_model, ("run_tools", "repair", "verify", "rules")),
    Step("run_tools", run_tools, "call_model"),
    Step("repair", repair, "call_model"),
    Step("verify", verify_choice, after_verify, ("emit", "rules")),
    Step("rules", rules_node, "emit"),
    Step("emit", emit, END),
)
