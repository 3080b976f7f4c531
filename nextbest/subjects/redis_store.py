"""The Redis subject store: for several hosts sharing one memory (`NEXTBEST_REDIS_URL`).

Keys, under `prefix`: `mem:<subject>` → zset of event ids by time; `ev:<subject>` → hash of event id → JSON;
`link:<anonymous subject>` → user id; `links:<user>` → set of linked anonymous subjects; `profile:<user>` →
the stored profile's JSON. Appending to a timeline and trimming it to its bounds is one Lua script, so the
zset and the hash never disagree; a recall is one pipelined round trip. A link, its copy of the anonymous
timeline and a profile update are separate commands, not one transaction: a copy racing an append never loses
an event (appends are idempotent by event id), but two profile updates of one user racing (read, merge,
write) may keep only the later one's fields.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from typing import Any, TypeVar

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from nextbest.clock import Clock, SystemClock
from nextbest.contracts import Event, ProfileRecord, RememberedEvent
from nextbest.errors import StoreError

from ._timeline import ANONYMOUS, decode_event, decode_profile, encode_event, merge_profile_record, plan, to_us
from .interface import Forgotten, MemoryBounds, Recall, Recorded

__all__ = ["RedisSubjectStore"]

T = TypeVar("T")

# KEYS: the timeline's zset and hash. ARGV: oldest_us, max_events, then (event_id, at_us, json) triples.
REMEMBER = """
local written = 0
for i = 3, #ARGV, 3 do
  if redis.call('HSETNX', KEYS[2], ARGV[i], ARGV[i + 2]) == 1 then
    redis.call('ZADD', KEYS[1], ARGV[i + 1], ARGV[i])
    written = written + 1
  end
end
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1])
local kept = redis.call('ZCARD', KEYS[1]) - #gone
local max = tonumber(ARGV[2])
if kept > max then
  for _, id in ipairs(redis.call('ZRANGE', KEYS[1], #gone, #gone + kept - max - 1)) do
    table.insert(gone, id)
  end
end
for _, id in ipairs(gone) do
  redis.call('ZREM', KEYS[1], id)
  redis.call('HDEL', KEYS[2], id)
end
return written
"""


class RedisSubjectStore:
    """A `SubjectStore` in Redis (redis.asyncio); safe across processes and hosts."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "nextbest:subjects",
        clock: Clock | None = None,
        bounds: MemoryBounds | None = None,
    ) -> None:
        self._redis: aioredis.Redis = aioredis.from_url(url, decode_responses=True)
        self._prefix = prefix
        self._clock = clock or SystemClock()
        self._bounds = bounds or MemoryBounds()
        self._remember = self._redis.register_script(REMEMBER)

    def _key(self, kind: str, name: str) -> str:
        return f"{self._prefix}:{kind}:{name}"

    async def _call(self, pending: Awaitable[T]) -> T:
        try:
            return await pending
        except RedisError as exc:
            raise StoreError(f"Redis subject store: {exc}") from exc

    async def ping(self) -> None:
        await self._call(self._redis.ping())

    async def _append(self, subject: str, entries: Sequence[tuple[str, int, str]]) -> int:
        args: list[Any] = [to_us(self._bounds.oldest(self._clock.now())), self._bounds.max_events]
        for event_id, at_us, body in entries:
            args += [event_id, str(at_us), body]
        keys = [self._key("mem", subject), self._key("ev", subject)]
        return int(await self._call(self._remember(keys=keys, args=args)))

    async def _timeline(self, subject: str) -> list[tuple[str, int, str]]:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zrange(self._key("mem", subject), 0, -1, withscores=True)
            pipe.hgetall(self._key("ev", subject))
            scored, bodies = await self._call(pipe.execute())
        return [(str(i), int(score), bodies[i]) for i, score in scored if i in bodies]

    async def record(self, events: Sequence[Event]) -> Recorded:
        writes = plan(events)
        written = 0
        for anonymous, user in writes.links:
            old = await self._call(self._redis.set(self._key("link", anonymous), user, get=True))
            if old is not None and old != user:
                await self._call(self._redis.srem(self._key("links", str(old)), anonymous))
            await self._call(self._redis.sadd(self._key("links", user), anonymous))
            copied = await self._timeline(anonymous)
            if copied:
                written += await self._append(user, copied)
        for subject, entries in writes.appends.items():
            rows = [(e.event_id, to_us(e.occurred_at), encode_event(e)) for e in entries]
            for target in await self._targets(subject):
                written += await self._append(target, rows)
        for user, traits in writes.traits:
            await self._put(ProfileRecord(user_id=user, traits=traits))
        return Recorded(
            remembered=written, linked=tuple(a for a, _ in writes.links), profiles_updated=len(writes.traits)
        )

    async def _targets(self, subject: str) -> list[str]:
        if not subject.startswith(ANONYMOUS):
            return [subject]
        user = await self._call(self._redis.get(self._key("link", subject)))
        return [subject, str(user)] if user else [subject]

    async def _put(self, record: ProfileRecord) -> None:
        raw = await self._call(self._redis.get(self._key("profile", record.user_id)))
        merged = merge_profile_record(decode_profile(raw) if raw else None, record)
        await self._call(
            self._redis.set(self._key("profile", record.user_id), merged.model_dump_json(exclude_unset=True))
        )

    async def recall(self, subject_id: str) -> Recall:
        anonymous = subject_id.startswith(ANONYMOUS)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(self._key("ev", subject_id))
            if not anonymous:
                pipe.get(self._key("profile", subject_id))
            found = await self._call(pipe.execute())
        oldest = self._bounds.oldest(self._clock.now())
        events = sorted(
            (event for event in map(decode_event, found[0].values()) if event.occurred_at >= oldest),
            key=_order,
        )[-self._bounds.max_events :]
        profile = decode_profile(found[1]) if not anonymous and found[1] else None
        return Recall(events=tuple(events), profile=profile)

    async def put_profiles(self, profiles: Sequence[ProfileRecord]) -> int:
        for record in profiles:
            await self._put(record)
        return len(profiles)

    async def forget(self, subject_id: str) -> Forgotten:
        linked = sorted(str(s) for s in await self._call(self._redis.smembers(self._key("links", subject_id))))
        subjects = (subject_id, *linked)
        owner = None
        if subject_id.startswith(ANONYMOUS):
            owner = await self._call(self._redis.get(self._key("link", subject_id)))
        async with self._redis.pipeline(transaction=True) as pipe:
            for subject in subjects:
                pipe.hlen(self._key("ev", subject))
            counts = await self._call(pipe.execute())
        async with self._redis.pipeline(transaction=True) as pipe:
            for subject in subjects:
                pipe.delete(self._key("mem", subject), self._key("ev", subject), self._key("link", subject))
            pipe.delete(self._key("links", subject_id))
            pipe.delete(self._key("profile", subject_id))
            if owner:
                pipe.srem(self._key("links", str(owner)), subject_id)
            done = await self._call(pipe.execute())
        links = len(linked) + (1 if owner else 0)
        return Forgotten(
            subjects=subjects, events=sum(int(c) for c in counts), profile=bool(done[len(subjects) + 1]), links=links
        )

    async def close(self) -> None:
        await self._redis.aclose()


def _order(event: RememberedEvent) -> tuple[object, str]:
    return (event.occurred_at, event.event_id)
