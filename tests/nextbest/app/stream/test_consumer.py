"""The Redis Stream consumer in-process on a rules-only runtime: volume, redelivery, poison, the bound."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from nextbest.app.stream import ConsumeStats, RedisStreamSource, StreamConsumer
from nextbest.contracts import DecideRequest, Decision

pytestmark = pytest.mark.redis

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
async def runtime(runtime_factory: Callable[..., Any]) -> Any:
    return await runtime_factory()


class Running:
    """A consumer running as a task until `stop()`."""

    def __init__(self, consumer: StreamConsumer) -> None:
        self.consumer = consumer
        self.halt = asyncio.Event()
        self.task = asyncio.create_task(consumer.run(self.halt))

    async def stop(self) -> ConsumeStats:
        self.halt.set()
        return await asyncio.wait_for(self.task, timeout=60)


@pytest.fixture
async def start(streams: Any, runtime: Any) -> AsyncIterator[Callable[..., Any]]:
    sources: list[RedisStreamSource] = []
    running: list[Running] = []

    async def make(consumer: str = "c1", *, concurrency: int = 16, decide: Any = None, **options: Any) -> Running:
        source = await RedisStreamSource.open(REDIS_URL, **streams.options(consumer, **options))
        sources.append(source)
        run = Running(StreamConsumer(source, decide or runtime.decider.decide, concurrency=concurrency))
        running.append(run)
        return run

    yield make
    for run in running:
        if not run.task.done():
            await run.stop()
    for source in sources:
        await source.close()


async def test_a_thousand_events_are_decided_published_and_acked(streams: Any, runtime: Any, start: Any) -> None:
    await streams.add(1000)
    run = await start(concurrency=32)

    async def all_published() -> bool:
        return int(await streams.client.xlen(streams.out)) >= 1000

    await streams.wait_until("1,000 decisions", all_published)
    stats = await run.stop()
    assert (stats.decided, stats.replayed, stats.dead_lettered, stats.failed) == (1000, 0, 0, 0)
    published = await streams.published()
    assert sorted(int(p["event_id"].rsplit("-", 1)[1]) for p in published) == list(range(1000))
    assert await streams.pending() == 0
    for fields in published:
        decision = Decision.model_validate_json(fields["decision"])
        assert decision.decision_id == fields["decision_id"]
        stored = await runtime.ledger.find_by_event(fields["event_id"])
        assert stored is not None and stored.decision_id == decision.decision_id


async def test_a_redelivered_message_counts_once(streams: Any, runtime: Any, start: Any) -> None:
    await streams.add(5)
    await streams.client.xgroup_create(streams.key, streams.group, id="0")
    # c1 reads all five and dies before acking; it had already committed the decision for the first one.
    delivered = await streams.client.xreadgroup(streams.group, "c1", {streams.key: ">"}, count=5)
    first_id, first_fields = delivered[0][1][0]
    first = await runtime.decider.decide(DecideRequest.model_validate_json(first_fields["request"]))
    assert await streams.pending() == 5

    run = await start("c1")  # the restart takes its own pending entries back

    async def drained() -> bool:
        return await streams.pending() == 0 and int(await streams.client.xlen(streams.out)) == 5

    await streams.wait_until("the five redelivered", drained)
    stats = await run.stop()
    assert (stats.decided, stats.replayed) == (5, 1)
    published = {p["source_id"]: p for p in await streams.published()}
    assert published[first_id]["decision_id"] == first.decision_id
    assert Decision.model_validate_json(published[first_id]["decision"]).replayed is True
    history = await runtime.ledger.history(first.user_id, first.decided_at.replace(year=2000))
    ours = [c for c in history.contacts if c.decision_id == first.decision_id]
    assert len(ours) == (1 if first.channel is not None else 0)
    assert len({c.decision_id for c in history.contacts}) == len(history.contacts)


async def test_a_dead_consumers_pending_entries_are_claimed(streams: Any, start: Any) -> None:
    await streams.add(3)
    await streams.client.xgroup_create(streams.key, streams.group, id="0")
    await streams.client.xreadgroup(streams.group, "dead", {streams.key: ">"}, count=3)
    run = await start("c2", claim_idle_ms=0)

    async def drained() -> bool:
        return await streams.pending() == 0 and int(await streams.client.xlen(streams.out)) == 3

    await streams.wait_until("the claimed three", drained)
    assert (await run.stop()).decided == 3


async def test_poison_messages_are_dead_lettered_with_their_error(streams: Any, start: Any) -> None:
    missing_type = streams.body(1)
    del missing_type["event"]["type"]
    bad = [
        {"request": "{not json"},
        {"request": json.dumps(missing_type)},
        {"payload": json.dumps(streams.body(2))},
    ]
    ids = [await streams.client.xadd(streams.key, fields) for fields in bad]
    await streams.add(1, start=3)
    run = await start()

    async def settled() -> bool:
        return int(await streams.client.xlen(streams.dead)) == 3 and int(await streams.client.xlen(streams.out)) == 1

    await streams.wait_until("three dead letters and one decision", settled)
    stats = await run.stop()
    assert (stats.decided, stats.dead_lettered, stats.failed) == (1, 3, 0)
    assert await streams.pending() == 0
    dead = {fields["source_id"]: fields for _, fields in await streams.client.xrange(streams.dead)}
    assert set(dead) == set(ids)
    assert "Invalid JSON" in dead[ids[0]]["error"] and dead[ids[0]]["payload"] == "{not json"
    assert "event.type" in dead[ids[1]]["error"] and "Field required" in dead[ids[1]]["error"]
    assert dead[ids[2]]["error"] == "message carries no request field"


async def test_concurrency_is_bounded(streams: Any, runtime: Any, start: Any) -> None:
    await streams.add(40)
    inflight = peak = 0

    async def counting(request: DecideRequest) -> Decision:
        nonlocal inflight, peak
        inflight += 1
        peak = max(peak, inflight)
        try:
            return await runtime.decider.decide(request)
        finally:
            inflight -= 1

    run = await start(concurrency=4, decide=counting)

    async def all_published() -> bool:
        return int(await streams.client.xlen(streams.out)) == 40

    await streams.wait_until("40 decisions", all_published)
    assert (await run.stop()).decided == 40
    assert 1 < peak <= 4


async def test_stop_finishes_what_was_read(streams: Any, runtime: Any, start: Any) -> None:
    """Stop while decisions are in flight: each of them is still committed, published and acked."""
    await streams.add(8)
    gate = asyncio.Event()
    entered = 0

    async def held(request: DecideRequest) -> Decision:
        nonlocal entered
        entered += 1
        await gate.wait()
        return await runtime.decider.decide(request)

    run = await start(concurrency=8, decide=held)

    async def all_in_flight() -> bool:
        return entered == 8

    await streams.wait_until("eight in flight", all_in_flight)
    run.halt.set()
    gate.set()
    stats = await asyncio.wait_for(run.task, timeout=60)
    assert stats.decided == 8
    assert await streams.pending() == 0
    assert int(await streams.client.xlen(streams.out)) == 8
