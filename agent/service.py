"""The decision service: idempotency, the deadline, and which road through the steps a request takes.

Every request runs the same steps (`agent.steps.STEPS`): through LangGraph when the model is asked, walked
directly when it is not (no model configured, or the served answer in shadow mode). Whatever happens, a
valid decision comes back within the request's deadline: if the run is cut off, the rules answer it had
already prepared is committed.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from nextbest.contracts import (
    DecidedBy,
    DecideRequest,
    Decision,
    Event,
    FallbackReason,
    FeedbackOutcome,
    FeedbackResponse,
)
from nextbest.errors import StoreError
from nextbest.settings import ServiceMode
from nextbest.subjects import SubjectStore

from .context import DecisionContext
from .emit import emit_decision
from .graph import build_graph, run_steps
from .intake import canonical_event
from .moment import Deadline, open_moment
from .shadow import ShadowLog
from .steps import DecisionState, Ready, gather, rules_proposal

__all__ = ["Decider"]

log = logging.getLogger(__name__)

BACKSTOP_SLACK_S = 0.02
"""The graph handles its own model timeout; this backstop only catches a run stuck elsewhere."""


class Decider:
    """Always answers: a valid decision within the request's deadline, whatever the model does."""

    def __init__(self, ctx: DecisionContext, *, graph: Any | None = None) -> None:
        self.ctx = ctx
        self._graph = graph if graph is not None else build_graph()
        self._shadow_tasks: set[asyncio.Task[None]] = set()
        self._background: set[asyncio.Task[None]] = set()
        self.shadow_log = ShadowLog(ctx.settings.data_dir / "shadow" / "decisions.jsonl")

    async def decide(self, request: DecideRequest) -> Decision:
        deadline = Deadline.start(request.deadline_ms or self.ctx.settings.default_deadline_ms)
        if not request.dry_run:
            existing = await self.ctx.ledger.find_by_event(request.event.event_id)
            if existing is not None:
                return existing.model_copy(update={"replayed": True})
        decision = await self._decide(request, deadline)
        if not request.dry_run:
            await self._remember(request, deadline)
        return decision

    async def _decide(self, request: DecideRequest, deadline: Deadline) -> Decision:
        if self.ctx.model is None:
            return await self._direct(request, deadline, FallbackReason.NO_MODEL_CONFIGURED)
        if self.ctx.settings.mode is ServiceMode.SHADOW:
            served = await self._direct(request, deadline, FallbackReason.SHADOW_MODE)
            self._shadow(request, served)
            return served
        return await self._with_model(request, deadline)

    async def _remember(self, request: DecideRequest, deadline: Deadline) -> None:
        """Record the decided event in memory, as `POST /v1/events` would. The answer waits for the write
        only until its deadline; a slower write finishes in the background (and `drain` waits for it)."""
        store = self.ctx.subjects
        if store is None:
            return
        event, _ = canonical_event(request.event, self.ctx.policies.current().intake.events)
        task = asyncio.create_task(self._record(store, event))
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        await asyncio.wait({task}, timeout=max(deadline.remaining(), 0))

    @staticmethod
    async def _record(store: SubjectStore, event: Event) -> None:
        try:
            await store.record([event])
        except (StoreError, ValueError) as exc:  # memory is best effort: the decision stands
            log.warning("could not remember event %s: %s", event.event_id, exc)

    async def _direct(self, request: DecideRequest, deadline: Deadline, reason: FallbackReason) -> Decision:
        state = await run_steps(_start(request, deadline, ask_model=False, reason=reason), self.ctx)
        return state["decision"]

    async def _with_model(self, request: DecideRequest, deadline: Deadline) -> Decision:
        state = _start(request, deadline, ask_model=True)
        try:
            result = await asyncio.wait_for(
                self._graph.ainvoke(state, context=self.ctx),
                timeout=max(deadline.remaining() + BACKSTOP_SLACK_S, 0.001),
            )
            decision: Decision = result["decision"]
        except TimeoutError:
            decision = await self._cut_off(request, state["ready"], deadline)
        if decision.fallback_reason in (FallbackReason.MODEL_TIMEOUT, FallbackReason.DEADLINE_EXCEEDED):
            log.warning(
                "decision %s: %s after %.0f ms (deadline %.0f ms)",
                request.event.event_id,
                decision.fallback_reason.value,
                deadline.elapsed_ms(),
                deadline.total_s * 1000,
            )
        return decision

    async def _cut_off(self, request: DecideRequest, ready: Ready, deadline: Deadline) -> Decision:
        """The run was stopped at the deadline: commit the rules answer it had prepared (or prepare one)."""
        reason = FallbackReason.MODEL_TIMEOUT if ready.asking_model else FallbackReason.DEADLINE_EXCEEDED
        moment = ready.moment or await open_moment(request, self.ctx, deadline)
        candidates = ready.candidates if ready.moment is not None and ready.candidates is not None else None
        candidates = candidates or gather(moment, self.ctx)
        proposal = ready.proposal if ready.candidates is candidates and ready.proposal else None
        return await emit_decision(
            moment,
            candidates,
            proposal or rules_proposal(moment, candidates),
            self.ctx,
            decided_by=DecidedBy.RULES,
            reason=reason,
        )

    def _shadow(self, request: DecideRequest, served: Decision) -> None:
        """Let the model decide in the background, recording only; the caller already has the rules answer."""
        shadow_request = request.model_copy(update={"dry_run": True})

        async def run() -> None:
            try:
                deadline = Deadline.start(request.deadline_ms or self.ctx.settings.default_deadline_ms)
                decision = await self._with_model(shadow_request, deadline)
                await self.shadow_log.record(served, decision)
            except Exception:  # a shadow failure must never reach the caller
                log.exception("shadow decision failed for %s", request.event.event_id)

        task = asyncio.create_task(run())
        self._shadow_tasks.add(task)
        task.add_done_callback(self._shadow_tasks.discard)

    async def feedback(
        self,
        decision_id: str,
        outcome: FeedbackOutcome,
        occurred_at: datetime,
        *,
        value: float | None = None,
        currency: str | None = None,
    ) -> FeedbackResponse:
        """Record an outcome; a first one also credits the arm a learning playbook served (its reward)."""
        answer = await self.ctx.ledger.record_feedback(
            decision_id, outcome, occurred_at, value=value, currency=currency
        )
        if self.ctx.learner is not None and answer.recorded and not answer.duplicate:
            decision = await self.ctx.ledger.get_decision(decision_id)
            if decision is not None and decision.exploration is not None:
                await self.ctx.learner.credit(decision, outcome, value)
        return answer

    async def drain(self) -> None:
        """Wait for background shadow decisions and memory writes, e.g. before shutdown or in tests."""
        pending = self._shadow_tasks | self._background
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)


def _start(
    request: DecideRequest, deadline: Deadline, *, ask_model: bool, reason: FallbackReason | None = None
) -> DecisionState:
    state: DecisionState = {"request": request, "deadline": deadline, "ask_model": ask_model, "ready": Ready()}
    if reason is not None:
        state["fallback_reason"] = reason
    return state
