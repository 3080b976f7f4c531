"""The deadline flow of the service with the scripted model: the reserve is an event the test fires, never
wall time, so every outcome is asserted on what was decided, stored and traced, not on how long it took."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest

from agent.deadline import ReserveMeter
from agent.service import CUT_OFF, Decider
from agent.testing import Gate, ScriptedModel, choose_first_candidate
from nextbest.clock import FixedClock
from nextbest.contracts import DecidedBy, DecideRequest, Decision, FallbackReason
from nextbest.errors import ModelError

LONG_MS = 60_000  # the model's own timeout never fires: the test fires the reserve


class Reserve:
    """A reserve timer the test controls: `fire()` is the moment the model's time is up."""

    def __init__(self) -> None:
        self.fired = asyncio.Event()
        self.waited = 0

    async def __call__(self, deadline: Any) -> None:
        self.waited += 1
        await self.fired.wait()

    def fire(self) -> None:
        self.fired.set()


class CountingLedger:
    """The real ledger, counting commits and history reads; `on_commit` runs as a commit starts."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.commits = 0
        self.history_reads = 0
        self.on_commit: Any = None
        self.before_history: Any = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def commit(self, *args: Any, **kwargs: Any) -> Any:
        self.commits += 1
        if self.on_commit is not None:
            await self.on_commit()
        return await self._inner.commit(*args, **kwargs)

    async def history(self, *args: Any, **kwargs: Any) -> Any:
        self.history_reads += 1
        if self.before_history is not None:
            await self.before_history()
        return await self._inner.history(*args, **kwargs)


async def _decider(runtime_factory: Any, request: DecideRequest, steps: list[Any]) -> tuple[Decider, Any, Reserve]:
    model = ScriptedModel(steps)
    runtime = await runtime_factory(clock=FixedClock(request.event.occurred_at), model=model)
    ledger = CountingLedger(runtime.decider.ctx.ledger)
    reserve = Reserve()
    ctx = dataclasses.replace(runtime.decider.ctx, ledger=ledger)
    return Decider(ctx, reserve_timer=reserve), ledger, reserve


def _request(example: Any, name: str, event_id: str) -> DecideRequest:
    request: DecideRequest = example(name)
    event = request.event.model_copy(update={"event_id": event_id})
    return request.model_copy(update={"event": event, "deadline_ms": LONG_MS})


async def _rules_answer(runtime_factory: Any, request: DecideRequest) -> Decision:
    """What the rules alone decide for `request` (no model configured), without storing it."""
    runtime = await runtime_factory(clock=FixedClock(request.event.occurred_at))
    return await runtime.decider.decide(request.model_copy(update={"dry_run": True}))


async def _stored(decider: Decider, decision: Decision) -> Decision | None:
    stored: Decision | None = await decider.ctx.ledger.get_decision(decision.decision_id)
    return stored


def _valid(decision: Decision) -> None:
    assert Decision.model_validate_json(decision.model_dump_json()) == decision


async def test_a_hanging_model_is_cut_off_at_the_reserve_with_the_ready_rules_answer(
    runtime_factory: Any, example: Any
) -> None:
    request = _request(example, "cart_abandonment", "evt-hang-7f3a")
    rules = await _rules_answer(runtime_factory, request)  # before anything is stored for this customer
    reached = asyncio.Event()
    decider, ledger, reserve = await _decider(runtime_factory, request, [Gate(asyncio.Event(), reached)])
    running = asyncio.create_task(decider.decide(request))
    await reached.wait()  # the model is being asked, and never answers
    reserve.fire()
    decision = await running
    _valid(decision)
    assert (decision.decided_by, decision.fallback_reason) == (DecidedBy.RULES, FallbackReason.MODEL_TIMEOUT)
    assert "cut_off" in decision.trace.steps_ms
    assert [call.outcome for call in decision.trace.model_calls] == ["timeout"]
    assert (decision.action, decision.channel, decision.products) == (rules.action, rules.channel, rules.products)
    assert (ledger.commits, ledger.history_reads) == (1, 1)  # no second moment, no second history read
    assert await _stored(decider, decision) == decision.model_copy(update={"replayed": False})


async def test_a_model_answering_after_the_cut_off_changes_nothing(runtime_factory: Any, example: Any) -> None:
    request = _request(example, "cross_sell_app", "evt-slow-22b9")
    opened, reached = asyncio.Event(), asyncio.Event()
    decider, ledger, reserve = await _decider(
        runtime_factory, request, [Gate(opened, reached), choose_first_candidate()]
    )
    running = asyncio.create_task(decider.decide(request))
    await reached.wait()
    reserve.fire()
    decision = await running
    opened.set()  # the slow answer arrives after the cut-off
    await decider.drain()
    assert (decision.decided_by, decision.fallback_reason) == (DecidedBy.RULES, FallbackReason.MODEL_TIMEOUT)
    assert ledger.commits == 1
    stored = await _stored(decider, decision)
    assert stored is not None and stored.decided_by is DecidedBy.RULES


async def test_an_answer_committing_as_the_reserve_passes_is_the_one_commit(runtime_factory: Any, example: Any) -> None:
    request = _request(example, "cross_sell_app", "evt-just-in-time-0c41")
    decider, ledger, reserve = await _decider(runtime_factory, request, [choose_first_candidate()])

    async def reserve_passes_mid_commit() -> None:
        reserve.fire()
        for _ in range(5):  # let the service wake on the reserve while this commit is under way
            await asyncio.sleep(0)

    ledger.on_commit = reserve_passes_mid_commit
    decision = await decider.decide(request)
    _valid(decision)
    assert (decision.decided_by, decision.fallback_reason) == (DecidedBy.LLM, None)
    assert "cut_off" not in decision.trace.steps_ms
    assert ledger.commits == 1
    assert reserve.fired.is_set()


class LaggingReserve(Reserve):
    """Fires `lag` turns of the event loop after its event: the model's answer and the reserve land in the
    same instant, with the cut-off waking anywhere from before the run's claim to after its commit."""

    def __init__(self, lag: int) -> None:
        super().__init__()
        self.lag = lag

    async def __call__(self, deadline: Any) -> None:
        await super().__call__(deadline)
        for _ in range(self.lag):
            await asyncio.sleep(0)


async def _race(runtime_factory: Any, example: Any, lag: int) -> tuple[Decision, int, Decision | None]:
    request = _request(example, "cross_sell_app", f"evt-race-{lag:03d}-q")
    instant, reached = asyncio.Event(), asyncio.Event()
    model = ScriptedModel([Gate(instant, reached), choose_first_candidate()])
    runtime = await runtime_factory(clock=FixedClock(request.event.occurred_at), model=model)
    ledger = CountingLedger(runtime.decider.ctx.ledger)
    reserve = LaggingReserve(lag)
    reserve.fired = instant  # the model's answer and the reserve are one and the same moment
    decider = Decider(dataclasses.replace(runtime.decider.ctx, ledger=ledger), reserve_timer=reserve)
    running = asyncio.create_task(decider.decide(request))
    await reached.wait()
    instant.set()
    decision = await running
    await decider.drain()
    return decision, ledger.commits, await _stored(decider, decision)


async def test_a_model_answering_at_the_instant_of_the_reserve_still_commits_once(
    runtime_factory: Any, example: Any
) -> None:
    winners = set()
    for lag in (0, 1, 2, 4, 8, 16, 32, 64, 128):
        decision, commits, stored = await _race(runtime_factory, example, lag)
        _valid(decision)
        assert commits == 1, lag
        cut = "cut_off" in decision.trace.steps_ms
        assert decision.decided_by is (DecidedBy.RULES if cut else DecidedBy.LLM), lag
        assert stored is not None and stored.decided_by is decision.decided_by, lag
        winners.add(decision.decided_by)
    assert winners == {DecidedBy.RULES, DecidedBy.LLM}  # both contenders won some of the races


async def test_a_reserve_reached_before_the_candidates_skips_the_model(runtime_factory: Any, example: Any) -> None:
    request = _request(example, "cross_sell_app", "evt-early-5d")
    decider, ledger, reserve = await _decider(runtime_factory, request, [choose_first_candidate()])

    async def reserve_passes_while_reading() -> None:
        reserve.fire()
        for _ in range(5):
            await asyncio.sleep(0)

    ledger.before_history = reserve_passes_while_reading
    decision = await decider.decide(request)
    _valid(decision)
    assert (decision.decided_by, decision.fallback_reason) == (DecidedBy.RULES, FallbackReason.DEADLINE_EXCEEDED)
    assert decision.trace.model_calls == []
    assert (ledger.commits, ledger.history_reads) == (1, 1)


@pytest.mark.parametrize(
    ("steps", "reason"),
    [
        ([ModelError(FallbackReason.MODEL_ERROR, "503 from the server")], FallbackReason.MODEL_ERROR),
        ([ModelError(FallbackReason.RATE_LIMITED, "429")], FallbackReason.RATE_LIMITED),
        (["not json {", "still {{ not json"], FallbackReason.INVALID_OUTPUT),
    ],
)
async def test_a_failing_model_falls_back_before_the_reserve(
    runtime_factory: Any, example: Any, steps: list[Any], reason: FallbackReason
) -> None:
    request = _request(example, "cross_sell_app", f"evt-fail-{reason.value}")
    decider, ledger, reserve = await _decider(runtime_factory, request, steps)
    decision = await decider.decide(request)
    _valid(decision)
    assert (decision.decided_by, decision.fallback_reason) == (DecidedBy.RULES, reason)
    assert "cut_off" not in decision.trace.steps_ms
    assert not reserve.fired.is_set() and ledger.commits == 1


async def test_every_commit_is_measured_for_the_next_reserve(runtime_factory: Any, example: Any) -> None:
    request = _request(example, "cross_sell_app", "evt-measured-91")
    decider, _, _ = await _decider(runtime_factory, request, [choose_first_candidate()])
    decider.reserve = ReserveMeter(warmup=0)
    await decider.decide(request)
    assert decider.reserve.samples == (1, 0)  # the reply is measured by whoever sends it (the API)


def test_the_cut_off_and_the_run_claim_under_different_names() -> None:
    from agent.ready import Ready
    from agent.steps import RUN

    ready = Ready()
    assert ready.claim(CUT_OFF, 1.0)
    assert not ready.claim(RUN, 1.0)
    assert ready.claimed_by == CUT_OFF
