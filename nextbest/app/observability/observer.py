"""The one place a finished decision is recorded, and the one place a runtime is instrumented."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Protocol

from opentelemetry.trace import Tracer

from agent.context import DecisionContext
from nextbest.contracts import DecideRequest, Decision

from .metrics import DecisionMetrics
from .tracing import TracedLedger, TracedModel, TracedSearch, TracedToolBox, span

__all__ = ["Decides", "Observer", "instrument"]

log = logging.getLogger("nextbest.decisions")


class Decides(Protocol):
    """What the observer wraps: `agent.service.Decider`, or anything that decides like it."""

    async def decide(self, request: DecideRequest, *, arrived: float | None = None) -> Decision: ...


@dataclass(frozen=True)
class Observer:
    """Wraps `Decider.decide` for the API and the stream consumer: one span, the metrics, one log line."""

    metrics: DecisionMetrics
    tracer: Tracer | None = None

    async def decide(
        self, decider: Decides, request: DecideRequest, *, request_id: str | None = None, arrived: float | None = None
    ) -> Decision:
        with span(self.tracer, "decision", **{"event.id": request.event.event_id}):
            decision = await decider.decide(request, arrived=arrived)
        self.metrics.observe(decision)
        reason = decision.fallback_reason.value if decision.fallback_reason else None
        log.info(
            "decision %s %s by %s in %.1fms",
            decision.decision_id,
            decision.action.value,
            decision.decided_by.value,
            decision.latency_ms,
            extra={
                "request_id": request_id,
                "decision_id": decision.decision_id,
                "action": decision.action.value,
                "decided_by": decision.decided_by.value,
                "fallback_reason": reason,
                "playbook": decision.use_case,
                "latency_ms": decision.latency_ms,
                "replayed": decision.replayed,
            },
        )
        return decision


def instrument(ctx: DecisionContext, metrics: DecisionMetrics | None, tracer: Tracer | None) -> DecisionContext:
    """The context with its ledger and catalog search timed (and traced), and model and toolbox traced."""
    tools = ctx.tools
    if tools.search is not None:
        tools = dataclasses.replace(tools, search=TracedSearch(tools.search, tracer, metrics))
    return dataclasses.replace(
        ctx,
        ledger=TracedLedger(ctx.ledger, tracer, metrics),
        tools=tools,
        model=TracedModel(ctx.model, tracer) if ctx.model is not None and tracer is not None else ctx.model,
        toolbox=TracedToolBox(ctx.toolbox, tracer) if ctx.toolbox is not None and tracer is not None else ctx.toolbox,
        tracer=tracer,
    )
