"""The consume loop: reclaim what was left pending, read, decide with bounded concurrency, publish, ack."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from pydantic import ValidationError

from nextbest.contracts import DecideRequest, Decision

from ._source import EventSource, StreamMessage

__all__ = ["ConsumeStats", "Decide", "StreamConsumer"]

log = logging.getLogger(__name__)

Decide = Callable[[DecideRequest], Awaitable[Decision]]


@dataclass
class ConsumeStats:
    """What one run did. `failed` messages stay unacked: the stream delivers them again after a restart."""

    decided: int = 0
    replayed: int = 0
    dead_lettered: int = 0
    failed: int = 0

    def summary(self) -> str:
        return (
            f"{self.decided:,} decided ({self.replayed:,} replayed), {self.dead_lettered:,} dead-lettered, "
            f"{self.failed:,} failed and left pending"
        )


def parse(message: StreamMessage) -> DecideRequest | str:
    """The request a message carries, or why it can never be decided (pydantic's text names the fields)."""
    if message.payload is None:
        return "message carries no request field"
    try:
        return DecideRequest.model_validate_json(message.payload)
    except ValidationError as exc:
        return f"invalid DecideRequest: {exc}"


class StreamConsumer:
    """Decides every message of `source` at least once, at most `concurrency` at a time.

    A message is acked only after its decision is committed (by `decide`) and published, so a crash at any
    point leaves it pending, to be decided again; the ledger's idempotency by event_id then returns the
    stored decision (`replayed`), and the contact is counted once. `run` returns when `stop` is set, after
    the messages already read have been finished.
    """

    def __init__(self, source: EventSource, decide: Decide, *, concurrency: int = 16) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self._source = source
        self._decide = decide
        self._concurrency = concurrency
        self._tasks: set[asyncio.Task[None]] = set()
        self.stats = ConsumeStats()

    async def run(self, stop: asyncio.Event) -> ConsumeStats:
        try:
            await self._feed(stop, self._source.reclaim, until_empty=True)
            await self._feed(stop, self._source.read, until_empty=False)
        finally:
            await self._drain()
        return self.stats

    async def _feed(
        self, stop: asyncio.Event, fetch: Callable[[int], Awaitable[list[StreamMessage]]], *, until_empty: bool
    ) -> None:
        while not stop.is_set():
            free = await self._free_slots()
            batch = await fetch(free)
            if not batch and until_empty:
                return
            for message in batch:  # read before a stop arrived: ours now, so finished, not dropped
                task = asyncio.create_task(self._handle(message))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def _free_slots(self) -> int:
        while len(self._tasks) >= self._concurrency:
            await asyncio.wait(self._tasks, return_when=asyncio.FIRST_COMPLETED)
        return self._concurrency - len(self._tasks)

    async def _drain(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _handle(self, message: StreamMessage) -> None:
        request = parse(message)
        try:
            if isinstance(request, str):
                await self._source.dead_letter(message, request)
                await self._source.ack(message)
                self.stats.dead_lettered += 1
                return
            decision = await self._decide(request)
            await self._source.publish(message, decision)
            await self._source.ack(message)
        except Exception:  # a store or stream fault: left pending, delivered again after a restart
            log.exception("message %s failed; left pending for redelivery", message.id)
            self.stats.failed += 1
            return
        self.stats.decided += 1
        self.stats.replayed += bool(decision.replayed)
