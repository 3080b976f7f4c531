"""The step list: both runners walk it alike, every call is on the record, pointless calls are not made."""

from __future__ import annotations

from typing import Any

from agent.deadline import Deadline
from agent.graph import build_graph, run_steps
from agent.service import _start
from agent.steps import STEPS
from agent.testing import Hang, ScriptedModel, choose_first_candidate
from nextbest.clock import FixedClock
from nextbest.contracts import ActionKind, DecidedBy, DecideRequest, FallbackReason


def _stable(decision: Any) -> dict[str, Any]:
    data = decision.model_dump(mode="json", exclude={"latency_ms", "trace"})
    return data


async def test_the_direct_runner_and_the_graph_take_the_same_road(runtime_factory: Any, example: Any) -> None:
    for name in ("cart_abandonment", "cross_sell_app", "order_confirmation", "nothing_fits"):
        request: DecideRequest = example(name).model_copy(update={"dry_run": True})
        runtime = await runtime_factory(clock=FixedClock(request.event.occurred_at))
        ctx = runtime.decider.ctx

        def start(request: DecideRequest = request) -> Any:
            return _start(request, Deadline.start(1500), ask_model=False, reason=FallbackReason.NO_MODEL_CONFIGURED)

        direct = (await run_steps(start(), ctx))["decision"]
        graphed = (await build_graph().ainvoke(start(), context=ctx))["decision"]
        assert _stable(direct) == _stable(graphed), name
        assert direct.decided_by is DecidedBy.RULES


def test_every_road_in_the_step_list_leads_to_a_step() -> None:
    names = {step.name for step in STEPS} | {"__end__"}
    for step in STEPS:
        roads = (step.then,) if isinstance(step.then, str) else step.roads
        assert roads and set(roads) <= names, step.name


async def test_a_call_cut_off_by_the_deadline_is_on_the_record(runtime_factory: Any, example: Any) -> None:
    request = example("cart_abandonment").model_copy(update={"deadline_ms": 250})
    model = ScriptedModel([Hang(30)])
    runtime = await runtime_factory(clock=FixedClock(request.event.occurred_at), model=model)
    decision = await runtime.decider.decide(request)
    assert decision.fallback_reason in (FallbackReason.MODEL_TIMEOUT, FallbackReason.DEADLINE_EXCEEDED)
    assert decision.trace.model == "scripted"
    assert [call.outcome for call in decision.trace.model_calls] == ["timeout"]
    assert decision.trace.model_calls[0].latency_ms > 0


async def test_a_repaired_conversation_records_both_calls(runtime_factory: Any, example: Any) -> None:
    request = example("cross_sell_app")
    model = ScriptedModel(["this is not json {", choose_first_candidate()])
    runtime = await runtime_factory(clock=FixedClock(request.event.occurred_at), model=model)
    decision = await runtime.decider.decide(request)
    assert decision.decided_by is DecidedBy.LLM
    assert [call.attempt for call in decision.trace.model_calls] == [0, 1]
    assert decision.trace.model_calls[0].outcome != "ok" and decision.trace.model_calls[1].outcome == "ok"


async def test_a_holdout_customer_costs_no_model_call(runtime_factory: Any, example: Any, settings: Any) -> None:
    request = example("cart_abandonment")
    model = ScriptedModel([choose_first_candidate()])
    everyone_held_out = settings.model_copy(update={"holdout_percent": 100})
    runtime = await runtime_factory(
        settings=everyone_held_out, clock=FixedClock(request.event.occurred_at), model=model
    )
    decision = await runtime.decider.decide(request)
    assert model.calls == []
    assert decision.holdout and decision.action is ActionKind.NONE
    assert decision.fallback_reason is FallbackReason.NOTHING_ALLOWED


async def test_a_playbook_without_products_in_stock_costs_no_model_call(runtime_factory: Any, example: Any) -> None:
    request = example("cross_sell_app")
    request.event.properties.product_id = "NO-SUCH-PRODUCT"  # the cross-sell still triggers, but has no links
    model = ScriptedModel([choose_first_candidate()])
    runtime = await runtime_factory(clock=FixedClock(request.event.occurred_at), model=model)
    decision = await runtime.decider.decide(request)
    assert decision.use_case == "cross_sell_app"
    assert decision.trace.candidates["products"] == 0
    assert model.calls == []
    assert decision.fallback_reason is FallbackReason.NOTHING_ALLOWED
    assert decision.action is ActionKind.NONE
