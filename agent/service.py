"""The decision service: idempotency, the model graph or the rules fast path, and the deadline."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from nextbest.contracts import DecideRequest, Decision, FallbackReason
from nextbest.settings import ServiceMode

from .context import DecisionContext
from .graph import build_graph
from .pipeline import decide_with_rules
from .shadow import ShadowLog

__all__ = ["Decider"]

log = logging.getLogger(__name__)

DEADLINE_SLACK_S = 0.02


class Decider:
    """Always answers: a valid decision within the request's deadline, whatever the model does."""

    def __init__(self, ctx: DecisionContext, *, graph: Any | None = None) -> None:
        self.ctx = ctx
        self._graph = graph if graph is not None else build_graph()
        self._shadow_tasks: set[asyncio.Task[None]] = set()
        self.shadow_log = ShadowLog(ctx.settings.data_dir / "shadow" / "decisions.jsonl")

    @property
    def graph(self) -> Any:
        return self._graph

    async def decide(self, request: DecideRequest) -> Decision:
        started = time.monotonic()
        if not request.dry_run:
            existing = await self.ctx.ledger.find_by_event(request.event.event_id)
            if existing is not None:
                return existing.model_copy(update={"replayed": True})
        if self.ctx.model is None:
            return await decide_with_rules(request, self.ctx, FallbackReason.NO_MODEL_CONFIGURED, started=started)
        if self.ctx.settings.mode is ServiceMode.SHADOW:
            served = await decide_with_rules(request, self.ctx, FallbackReason.SHADOW_MODE, started=started)
            self._shadow(request, served)
            return served
        return await self._with_model(request, started)

    async def _with_model(self, request: DecideRequest, started: float) -> Decision:
        deadline_s = (request.deadline_ms or self.ctx.settings.default_deadline_ms) / 1000
        try:
            state = await asyncio.wait_for(
                self._graph.ainvoke({"request": request, "started": started}, context=self.ctx),
                timeout=max(deadline_s - (time.monotonic() - started) + DEADLINE_SLACK_S, 0.001),
            )
        except TimeoutError:
            log.warning("decision %s hit its %.0f ms deadline", request.event.event_id, deadline_s * 1000)
            return await decide_with_rules(request, self.ctx, FallbackReason.DEADLINE_EXCEEDED, started=started)
        decision: Decision = state["decision"]
        return decision

    def _shadow(self, request: DecideRequest, served: Decision) -> None:
        """Let the model decide in the background, recording only; the caller already has the rules answer."""
        shadow_request = request.model_copy(update={"dry_run": True})

        async def run() -> None:
            try:
                decision = await self._with_model(shadow_request, time.monotonic())
                await self.shadow_log.record(served, decision)
            except Exception:  # a shadow failure must never reach the caller
                log.exception("shadow decision failed for %s", request.event.event_id)

        task = asyncio.create_task(run())
        self._shadow_tasks.add(task)
        task.add_done_callback(self._shadow_tasks.discard)

    async def drain(self) -> None:
        """Wait for background shadow decisions, e.g. before shutdown or in tests."""
        if self._shadow_tasks:
            await asyncio.gather(*self._shadow_tasks, return_exceptions=True)
