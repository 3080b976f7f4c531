"""`TracedLedger` writes out every `Ledger` method, and each call is a span and a latency sample."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta
from pathlib import Path

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from guardrails.ledger import Ledger, PruneCounts, SqliteLedger
from nextbest.app.observability import DecisionMetrics
from nextbest.app.observability.tracing import TracedLedger
from nextbest.clock import FixedClock
from nextbest.contracts import ActionKind, DecidedBy, Decision, FeedbackOutcome

NOW = datetime(2027, 1, 4, 8, 30, tzinfo=UTC)
PROTOCOL = sorted(name for name, member in vars(Ledger).items() if inspect.isfunction(member) and name[0] != "_")


def test_every_protocol_method_is_written_out() -> None:
    assert {"commit", "decisions_since", "outcomes_since", "prune", "close"} <= set(PROTOCOL)
    missing = [name for name in PROTOCOL if name not in vars(TracedLedger)]
    assert not missing, f"TracedLedger does not pass through {missing}"
    assert not hasattr(TracedLedger, "__getattr__"), "a fallback would hide a method left out"
    for name in PROTOCOL:
        assert inspect.signature(getattr(TracedLedger, name)) == inspect.signature(getattr(Ledger, name)), name


async def test_each_call_passes_through_with_a_span_and_a_sample(tmp_path: Path) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    metrics = DecisionMetrics()
    inner = SqliteLedger(tmp_path / "l.sqlite3", clock=FixedClock(NOW))
    traced = TracedLedger(inner, provider.get_tracer("t"), metrics)
    decision = Decision(
        decision_id="tl-1",
        event_id="tl-e1",
        user_id="w",
        action=ActionKind.NONE,
        decided_by=DecidedBy.RULES,
        policy_version="t",
        decided_at=NOW,
    )
    assert (await traced.commit(decision, subject_id="w", request_fingerprint="f")).decision == decision
    assert await traced.find_by_event("tl-e1") == decision
    assert await traced.get_decision("tl-1") == decision
    assert await traced.would_have("tl-1") is None
    assert (await traced.record_feedback("tl-1", FeedbackOutcome.OPENED, NOW)).recorded
    assert (await traced.history("w", NOW - timedelta(days=1))).contacts == ()
    assert [row.decision_id for row in await traced.decisions_since(NOW, limit=5)] == ["tl-1"]
    assert [row.outcome for row in await traced.outcomes_since(NOW)] == [FeedbackOutcome.OPENED]
    assert await traced.pseudonymise("w", "erased:w") == 1
    assert await traced.prune(NOW + timedelta(seconds=1)) == PruneCounts(decisions=1, outcomes=1)
    await traced.close()

    called = {name for name in PROTOCOL if name != "close"}
    assert {span.name for span in exporter.get_finished_spans()} == {f"ledger.{name}" for name in called}
    assert {(span.attributes or {}).get("ledger.backend") for span in exporter.get_finished_spans()} == {"SqliteLedger"}
    timed = {
        sample.labels["op"]
        for family in metrics.ledger_seconds.collect()
        for sample in family.samples
        if sample.name.endswith("_count") and sample.value > 0
    }
    assert timed == called
