"""The span tree of one model-path decision, read back from the SDK's in-memory exporter."""

from __future__ import annotations

from typing import Any

from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agent.model import ToolCall
from agent.testing import ScriptedModel, choose_first_candidate
from nextbest.app.api._ops import instrument_runtime
from nextbest.app.observability import DecisionMetrics, Observer, tracer_from_env
from nextbest.clock import FixedClock
from nextbest.contracts import DecidedBy


def _parent(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> str | None:
    return by_id[span.parent.span_id].name if span.parent is not None else None


async def test_a_decision_is_one_span_over_node_spans_over_model_tool_and_ledger_spans(
    runtime_factory: Any, example: Any
) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    request = example("cart_abandonment")
    model = ScriptedModel(
        [[ToolCall(id="c1", name="check_inventory", arguments={"product_ids": ["P0214"]})], choose_first_candidate()]
    )
    runtime = await runtime_factory(clock=FixedClock(request.event.occurred_at), model=model)
    observer = Observer(DecisionMetrics(), provider.get_tracer("test"))
    instrument_runtime(runtime, observer)

    decision = await observer.decide(runtime.decider, request)

    assert decision.decided_by is DecidedBy.LLM and decision.trace.tool_calls == ["check_inventory"]
    spans = exporter.get_finished_spans()
    by_id = {span.context.span_id: span for span in spans}
    roots = [span for span in spans if span.parent is None]
    assert [span.name for span in roots] == ["decision"]
    assert len({span.context.trace_id for span in spans}) == 1
    nodes = [span for span in spans if span.name.startswith("node.")]
    assert {span.name for span in nodes} >= {"node.load_context", "node.call_model", "node.run_tools", "node.emit"}
    assert {_parent(span, by_id) for span in nodes} == {"decision"}
    parents = {span.name: _parent(span, by_id) for span in spans}
    assert [_parent(s, by_id) for s in spans if s.name == "model.complete"] == ["node.call_model"] * 2
    assert parents["tool.check_inventory"] == "node.run_tools"
    assert parents["ledger.commit"] == "node.emit"
    assert parents["ledger.find_by_event"] == "decision"


def test_traces_are_off_unless_the_otlp_endpoint_is_set() -> None:
    assert tracer_from_env({}) is None
    assert tracer_from_env({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_SERVICE_NAME": "nb"})
