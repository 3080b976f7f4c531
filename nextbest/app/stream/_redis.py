"""`EventSource` on a Redis Stream consumer group (XREADGROUP / XAUTOCLAIM / XADD / XACK)."""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError, ResponseError

from nextbest.contracts import Decision
from nextbest.errors import StoreError

from ._source import StreamMessage

__all__ = ["RedisStreamSource"]

START = "0-0"


class RedisStreamSource:
    """Reads `stream` as `consumer` in `group`; decisions go to `out_stream`, bad messages to `dead_stream`.

    The group is created at the start of the stream (MKSTREAM) when missing, so events written before the
    first consumer came up are decided too. `claim_idle_ms`: pending entries of other consumers idle that long
    are taken over (a consumer that died); this consumer's own pending entries are always taken back.
    """

    def __init__(
        self,
        client: aioredis.Redis,
        *,
        stream: str,
        group: str,
        consumer: str,
        out_stream: str,
        dead_stream: str,
        field: str = "request",
        block_ms: int = 200,
        claim_idle_ms: int = 60_000,
    ) -> None:
        self._client = client
        self.stream, self.group, self.consumer = stream, group, consumer
        self.out_stream, self.dead_stream, self.field = out_stream, dead_stream, field
        self._block_ms, self._claim_idle_ms = block_ms, claim_idle_ms
        self._own_cursor: str | None = START
        self._claim_cursor: str | None = START

    @classmethod
    async def open(cls, url: str, **options: Any) -> RedisStreamSource:
        client = aioredis.from_url(url, decode_responses=True)
        source = cls(client, **options)
        try:
            await client.xgroup_create(source.stream, source.group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                await client.aclose()
                raise StoreError(f"cannot create group {source.group!r} on {source.stream!r}: {exc}") from exc
        except RedisError as exc:
            await client.aclose()
            raise StoreError(f"Redis at {url} is unreachable: {exc}") from exc
        return source

    def _messages(self, entries: list[Any]) -> list[StreamMessage]:
        return [StreamMessage(id=entry_id, payload=(fields or {}).get(self.field)) for entry_id, fields in entries]

    async def reclaim(self, count: int) -> list[StreamMessage]:
        if self._own_cursor is not None:
            # Reading from an id instead of ">" returns this consumer's own pending entries after that id.
            reply: Any = await self._client.xreadgroup(
                self.group, self.consumer, {self.stream: self._own_cursor}, count
            )
            entries = _entries(reply)
            if entries:
                self._own_cursor = entries[-1][0]
                return self._messages(entries)
            self._own_cursor = None
        while self._claim_cursor is not None:  # XAUTOCLAIM may return an empty page before the end
            claimed: Any = await self._client.xautoclaim(
                self.stream, self.group, self.consumer, self._claim_idle_ms, self._claim_cursor, count=count
            )
            cursor, entries, *_ = claimed
            self._claim_cursor = None if cursor == START else cursor
            if entries:
                return self._messages(entries)
        return []

    async def read(self, count: int) -> list[StreamMessage]:
        reply: Any = await self._client.xreadgroup(
            self.group, self.consumer, {self.stream: ">"}, count, block=self._block_ms
        )
        return self._messages(_entries(reply))

    async def publish(self, message: StreamMessage, decision: Decision) -> None:
        fields = {
            "decision": decision.model_dump_json(),
            "decision_id": decision.decision_id,
            "event_id": decision.event_id,
            "source_id": message.id,
        }
        await self._client.xadd(self.out_stream, fields)  # type: ignore[arg-type]

    async def dead_letter(self, message: StreamMessage, error: str) -> None:
        fields = {"source_id": message.id, "payload": message.payload or "", "error": error}
        await self._client.xadd(self.dead_stream, fields)  # type: ignore[arg-type]

    async def ack(self, message: StreamMessage) -> None:
        await self._client.xack(self.stream, self.group, message.id)

    async def close(self) -> None:
        await self._client.aclose()


def _entries(reply: Any) -> list[Any]:
    """The (id, fields) pairs of a one-stream XREADGROUP reply (RESP2: [[stream, entries]]); none on a timeout."""
    return list(reply[0][1]) if reply else []
