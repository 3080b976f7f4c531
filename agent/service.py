"""The decision service: idempotency, the deadline, and which road through the steps a request takes.

Every request runs the same steps (`agent.steps.STEPS`): through LangGraph when the model is asked, walked
directly when it is not (no model configured, or the served answer in shadow mode). Whatever happens, a
valid decision comes back within the request's deadline (`agent.deadline`): the rules answer is prepared as
soon as the candidates are gathered, the model gets what remains minus the reserve, and at the reserve the
prepared answer is committed. A once guard (`Ready.claim`) makes that exactly one commit per decision.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
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

from . import llm
from .context import DecisionContext
from .deadline import Deadline, ReserveMeter
from .emit import emit_decision
from .graph import build_graph, run_steps
from .intake import canonical_event
from .ready import Ready
from .shadow import ShadowLog
from .steps import DecisionState

__all__ = ["CUT_OFF", "Decider", "ReserveTimer", "sleep_until_reserve"]

log = logging.getLogger(__name__)

CUT_OFF = "cut_off"
"""Who claims a decision committed by the service at the deadline's reserve (the run's `emit` is the other)."""

ReserveTimer = Callable[[Deadline], Awaitable[None]]
"""Returns when the model's time is up (the deadline's reserve); injectable so tests need no wall time."""


async def sleep_until_reserve(deadline: Deadline) -> None:
    """The default reserve timer: the event loop's own timer, set for `deadline.model_until`."""
    await asyncio.sleep(max(deadline.model_remaining(), 0))


class Decider:
    """Always answers: a valid decision within the request's deadline, whatever the model does."""

    def __init__(
        self, ctx: DecisionContext, *, graph: Any | None = None, reserve_timer: ReserveTimer = sleep_until_reserve
    ) -> None:
        self.ctx = ctx
        self._graph = graph if graph is not None else build_graph()
        self._reserve_timer = reserve_timer
        self.reserve = ReserveMeter()
        """Commit and reply cost measured on this process, which size every deadline's reserve."""
        self._shadow_tasks: set[asyncio.Task[None]] = set()
        self._background: set[asyncio.Future[Any]] = set()
        self.shadow_log = ShadowLog(ctx.settings.data_dir / "shadow" / "decisions.jsonl")

    def deadline(self, request: DecideRequest, arrived: float | None = None) -> Deadline:
        return self.reserve.deadline(request.deadline_ms or self.ctx.settings.default_deadline_ms, arrived=arrived)

    async def decide(self, request: DecideRequest, *, arrived: float | None = None) -> Decision:
        """Decide `request` within its deadline, counted from `arrived` (a `time.monotonic()` value: when the
        request reached the server) or from now."""
        deadline = self.deadline(request, arrived)
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
        only while the deadline leaves the reply its time; a slower write finishes in the background (and
        `drain` waits for it)."""
        store = self.ctx.subjects
        if store is None:
            return
        event, _ = canonical_event(request.event, self.ctx.policies.current().intake.events)
        task = asyncio.create_task(self._record(store, event))
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        await asyncio.wait({task}, timeout=max(deadline.reply_remaining(), 0))

    @staticmethod
    async def _record(store: SubjectStore, event: Event) -> None:
        try:
            await store.record([event])
        except (StoreError, ValueError) as exc:  # memory is best effort: the decision stands
            log.warning("could not remember event %s: %s", event.event_id, exc)

    def _measured(self, ready: Ready, deadline: Deadline) -> None:
        """What the reserve had to cover: from the claim to the committed answer, or, for a claim made after
        the reserve began (a timer that fired late on a busy machine), from the reserve's start."""
        if ready.claimed_by is not None:
            self.reserve.record(deadline.now() - min(ready.claimed_at, deadline.model_until))

    async def _direct(self, request: DecideRequest, deadline: Deadline, reason: FallbackReason) -> Decision:
        state = await run_steps(_start(request, deadline, ask_model=False, reason=reason), self.ctx)
        self._measured(state["ready"], deadline)
        return state["decision"]

    async def _with_model(self, request: DecideRequest, deadline: Deadline) -> Decision:
        state = _start(request, deadline, ask_model=True)
        ready = state["ready"]
        run = asyncio.ensure_future(self._graph.ainvoke(state, context=self.ctx))
        try:
            decision = await self._settle(run, ready, deadline)
        except BaseException:  # the caller went away (cancelled) or the run failed: leave nothing running
            run.cancel()
            raise
        self._measured(ready, deadline)
        if decision.fallback_reason in (FallbackReason.MODEL_TIMEOUT, FallbackReason.DEADLINE_EXCEEDED):
            log.warning(
                "decision %s: %s after %.0f ms (deadline %.0f ms)",
                request.event.event_id,
                decision.fallback_reason.value,
                deadline.elapsed_ms(),
                deadline.total_s * 1000,
            )
        return decision

    async def _settle(self, run: asyncio.Future[Any], ready: Ready, deadline: Deadline) -> Decision:
        """The run's answer if it comes before the reserve; at the reserve, the rules answer already ready.

        Whoever claims the decision first commits it: the run in its `emit` step, or this cut-off. A run that
        claimed first is committing and is awaited; one without a rules answer yet is told to skip the model.
        """
        timer = asyncio.ensure_future(self._reserve_timer(deadline))
        try:
            await asyncio.wait({run, timer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            timer.cancel()
        if not run.done() and ready.proposal is not None and ready.claim(CUT_OFF, deadline.now()):
            run.cancel()
            self._background.add(run)
            run.add_done_callback(_forget(self._background))
            return await self._cut_off(ready, deadline)
        ready.cut_off = not run.done()
        decision: Decision = (await run)["decision"]
        return decision

    async def _cut_off(self, ready: Ready, deadline: Deadline) -> Decision:
        """Commit the rules answer prepared from this run's own moment and candidates: nothing is read twice.

        The run goes on being cancelled meanwhile, so the cut-off works on a copy of its trace."""
        assert ready.moment is not None and ready.candidates is not None and ready.proposal is not None
        trace = ready.moment.trace.model_copy(deep=True)
        moment = dataclasses.replace(ready.moment, trace=trace)
        llm.cut_off(moment, ready.asking_since, deadline.now())
        trace.steps_ms["cut_off"] = deadline.elapsed_ms()
        return await emit_decision(
            moment,
            ready.candidates,
            ready.proposal,
            self.ctx,
            decided_by=DecidedBy.RULES,
            reason=FallbackReason.MODEL_TIMEOUT,
        )

    def _shadow(self, request: DecideRequest, served: Decision) -> None:
        """Let the model decide in the background, recording only; the caller already has the rules answer."""
        shadow_request = request.model_copy(update={"dry_run": True})

        async def run() -> None:
            try:
                deadline = self.deadline(request)
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


def _forget(tasks: set[asyncio.Future[Any]]) -> Callable[[asyncio.Future[Any]], None]:
    """A done callback for a run cancelled at the cut-off: drop it, and read its outcome so none is lost."""

    def done(task: asyncio.Future[Any]) -> None:
        tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("a run cut off at the deadline failed afterwards: %r", task.exception())

    return done


def _start(
    request: DecideRequest, deadline: Deadline, *, ask_model: bool, reason: FallbackReason | None = None
) -> DecisionState:
    state: DecisionState = {"request": request, "deadline": deadline, "ask_model": ask_model, "ready": Ready()}
    if reason is not None:
        state["fallback_reason"] = reason
    return state
