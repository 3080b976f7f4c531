"""OpenTelemetry traces, off unless `OTEL_EXPORTER_OTLP_ENDPOINT` is set; the service name is `OTEL_SERVICE_NAME`.

The tracer travels in the typed `DecisionContext` (never a global provider): the graph's step wrapper opens a
span per node, and the wrappers here (`TracedLedger`, `TracedSearch`, `TracedModel`, `TracedToolBox`) open
one per ledger, catalog, model and tool call, each also timed into the Prometheus histograms when given.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import datetime
from typing import Any

from opentelemetry.trace import Span, Tracer

from agent.context import ToolBox
from agent.model import ChatModel, ModelReply, ModelRequest, ToolCall
from guardrails.caps import Reservation
from guardrails.contacts import ContactHistory
from guardrails.ledger import CommitResult, Ledger, PruneCounts
from nextbest.contracts import (
    ActionProposal,
    CandidateSet,
    Decision,
    DecisionRow,
    FeedbackOutcome,
    FeedbackResponse,
    OutcomeRow,
)
from tools.catalog import CatalogFilter, CatalogHit, CatalogSearch

from .metrics import DecisionMetrics

__all__ = ["TracedLedger", "TracedModel", "TracedSearch", "TracedToolBox", "span", "tracer_from_env"]

ENDPOINT_ENV = "OTEL_EXPORTER_OTLP_ENDPOINT"


def tracer_from_env(environ: Mapping[str, str] | None = None) -> Tracer | None:
    """A tracer exporting OTLP over HTTP when the standard endpoint variable is set, else None (no overhead)."""
    env = os.environ if environ is None else environ
    if not env.get(ENDPOINT_ENV):
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: env.get("OTEL_SERVICE_NAME", "nextbest")}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))  # reads the OTEL_* variables itself
    return provider.get_tracer("nextbest")


def span(tracer: Tracer | None, name: str, **attributes: Any) -> AbstractContextManager[Span | None]:
    """A child span of the current one, or nothing at all without a tracer."""
    if tracer is None:
        return nullcontext()
    return tracer.start_as_current_span(name, attributes=attributes)


@contextmanager
def _measured(tracer: Tracer | None, name: str, seconds: Any | None, **attributes: Any) -> Iterator[None]:
    began = time.perf_counter()
    try:
        with span(tracer, name, **attributes):
            yield
    finally:
        if seconds is not None:
            seconds.observe(time.perf_counter() - began)


class TracedLedger:
    """A `Ledger` whose every call is a span (`ledger.<op>`) and a `nextbest_ledger_seconds` sample.

    Every method of the protocol is written out (no `__getattr__` fallback): one added to `Ledger` and
    not here is then a type error where the wrapper is used as a Ledger, not a call that silently goes
    untimed.
    """

    def __init__(self, inner: Ledger, tracer: Tracer | None, metrics: DecisionMetrics | None) -> None:
        self.inner = inner
        self._tracer = tracer
        self._metrics = metrics

    def _call(self, op: str) -> AbstractContextManager[None]:
        seconds = self._metrics.ledger_seconds.labels(op) if self._metrics else None
        return _measured(self._tracer, f"ledger.{op}", seconds, **{"ledger.backend": type(self.inner).__name__})

    async def history(self, subject_id: str, since: datetime, *, now: datetime | None = None) -> ContactHistory:
        with self._call("history"):
            return await self.inner.history(subject_id, since, now=now)

    async def commit(
        self,
        decision: Decision,
        *,
        subject_id: str,
        request_fingerprint: str,
        reservation: Reservation | None = None,
        would_have: ActionProposal | None = None,
    ) -> CommitResult:
        with self._call("commit"):
            return await self.inner.commit(
                decision,
                subject_id=subject_id,
                request_fingerprint=request_fingerprint,
                reservation=reservation,
                would_have=would_have,
            )

    async def find_by_event(self, event_id: str) -> Decision | None:
        with self._call("find_by_event"):
            return await self.inner.find_by_event(event_id)

    async def get_decision(self, decision_id: str) -> Decision | None:
        with self._call("get_decision"):
            return await self.inner.get_decision(decision_id)

    async def would_have(self, decision_id: str) -> ActionProposal | None:
        with self._call("would_have"):
            return await self.inner.would_have(decision_id)

    async def record_feedback(
        self,
        decision_id: str,
        outcome: FeedbackOutcome,
        occurred_at: datetime,
        *,
        value: float | None = None,
        currency: str | None = None,
    ) -> FeedbackResponse:
        with self._call("record_feedback"):
            return await self.inner.record_feedback(decision_id, outcome, occurred_at, value=value, currency=currency)

    async def decisions_since(
        self,
        since: datetime,
        *,
        until: datetime | None = None,
        after: DecisionRow | None = None,
        limit: int = 1000,
    ) -> list[DecisionRow]:
        with self._call("decisions_since"):
            return await self.inner.decisions_since(since, until=until, after=after, limit=limit)

    async def outcomes_since(
        self,
        since: datetime,
        *,
        until: datetime | None = None,
        after: OutcomeRow | None = None,
        limit: int = 1000,
    ) -> list[OutcomeRow]:
        with self._call("outcomes_since"):
            return await self.inner.outcomes_since(since, until=until, after=after, limit=limit)

    async def prune(self, before: datetime) -> PruneCounts:
        with self._call("prune"):
            return await self.inner.prune(before)

    async def pseudonymise(self, subject_id: str, pseudonym: str) -> int:
        with self._call("pseudonymise"):
            return await self.inner.pseudonymise(subject_id, pseudonym)

    async def close(self) -> None:
        await self.inner.close()


class TracedSearch:
    """A `CatalogSearch` whose calls are spans (`catalog.<op>`) and `nextbest_catalog_seconds` samples."""

    def __init__(self, inner: CatalogSearch, tracer: Tracer | None, metrics: DecisionMetrics | None) -> None:
        self.inner = inner
        self._tracer = tracer
        self._metrics = metrics

    def _call(self, op: str) -> AbstractContextManager[None]:
        seconds = self._metrics.catalog_seconds.labels(op) if self._metrics else None
        return _measured(self._tracer, f"catalog.{op}", seconds)

    def search(self, query: str, flt: CatalogFilter, k: int = 10) -> list[CatalogHit]:
        with self._call("search"):
            return self.inner.search(query, flt, k)

    def similar(self, product_id: str, flt: CatalogFilter, k: int = 10) -> list[CatalogHit]:
        with self._call("similar"):
            return self.inner.similar(product_id, flt, k)


class TracedModel:
    """A `ChatModel` whose every call is a `model.complete` span with its outcome and token counts."""

    def __init__(self, inner: ChatModel, tracer: Tracer) -> None:
        self.inner = inner
        self._tracer = tracer

    @property
    def name(self) -> str:
        return self.inner.name

    async def complete(self, request: ModelRequest) -> ModelReply:
        with self._tracer.start_as_current_span(
            "model.complete", attributes={"model.name": self.inner.name, "model.attempt": request.attempt}
        ) as current:
            reply = await self.inner.complete(request)
            current.set_attributes(
                {
                    "model.outcome": reply.call.outcome,
                    "model.prompt_tokens": reply.call.prompt_tokens,
                    "model.completion_tokens": reply.call.completion_tokens,
                }
            )
            return reply


class TracedToolBox:
    """A `ToolBox` whose every call is a `tool.<name>` span."""

    def __init__(self, inner: ToolBox, tracer: Tracer) -> None:
        self.inner = inner
        self._tracer = tracer

    def specs(self) -> list[dict[str, Any]]:
        return self.inner.specs()

    async def run(self, call: ToolCall, candidates: CandidateSet, deadline: float) -> tuple[str, CandidateSet]:
        with self._tracer.start_as_current_span(f"tool.{call.name}", attributes={"tool.name": call.name}):
            return await self.inner.run(call, candidates, deadline)
