"""Stream tests on the Redis at 127.0.0.1:6379: each test gets stream keys of its own, deleted afterwards."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

REDIS_URL = "redis://127.0.0.1:6379/0"
EXAMPLE = Path(__file__).resolve().parents[4] / "examples" / "cart_abandonment.json"
WAIT_S = 90
POLL_S = 0.05


def event_body(n: int, *, users: int = 50) -> dict[str, Any]:
    """The cart example as a new event (its own event_id) for one of `users` customers."""
    body: dict[str, Any] = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    user = f"C-stream-{n % users}"
    body["event"] |= {"event_id": f"evt-stream-{n}", "user_id": user}
    body["profile"] |= {"user_id": user}
    return body


@dataclass
class Streams:
    client: aioredis.Redis
    key: str
    group: str

    @property
    def out(self) -> str:
        return f"{self.key}:decisions"

    @property
    def dead(self) -> str:
        return f"{self.key}:dead"

    body = staticmethod(event_body)

    def options(self, consumer: str = "c1", **more: Any) -> dict[str, Any]:
        return {
            "stream": self.key,
            "group": self.group,
            "consumer": consumer,
            "out_stream": self.out,
            "dead_stream": self.dead,
            **more,
        }

    async def add(self, count: int, start: int = 0) -> list[str]:
        ids = []
        async with self.client.pipeline(transaction=False) as pipe:
            for n in range(start, start + count):
                pipe.xadd(self.key, {"request": json.dumps(event_body(n))})
            ids = await pipe.execute()
        return [str(i) for i in ids]

    async def published(self) -> list[dict[str, str]]:
        return [fields for _, fields in await self.client.xrange(self.out)]

    async def pending(self) -> int:
        summary = await self.client.xpending(self.key, self.group)
        return int(summary["pending"])

    async def wait_until(self, what: str, ready: Callable[[], Awaitable[bool]]) -> None:
        """Poll `ready()` until it holds; fail after WAIT_S."""
        deadline = time.monotonic() + WAIT_S
        while not await ready():
            assert time.monotonic() < deadline, f"no {what} within {WAIT_S} s"
            await asyncio.sleep(POLL_S)  # polling Redis for a state, bounded by WAIT_S


@pytest.fixture
async def streams() -> AsyncIterator[Streams]:
    client = aioredis.from_url(REDIS_URL, decode_responses=True)
    found = Streams(client, key=f"test-stream:{uuid.uuid4().hex}", group="deciders")
    yield found
    await client.delete(found.key, found.out, found.dead)
    await client.aclose()
