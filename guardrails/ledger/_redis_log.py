"""The Redis ledger's decision log: two sorted sets the commit and feedback scripts keep, paged, and pruning.

`log:decisions` holds decision ids scored by decided time; `log:outcomes` holds `<decision_id>\\x1f<outcome>`
scored by occurred time. Redis orders equal scores by member bytes, which is the order Python compares the
paging cursor in. Microseconds since the epoch stay below 2**53, so a score holds them exactly.
Decisions committed before the log existed are not in these sets.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import redis.asyncio as aioredis

from nextbest.contracts import Decision, DecisionRow, OutcomeRow

from ._codec import renamed_body, to_us
from ._log_rows import decision_cursor, decision_row, outcome_cursor, outcome_row
from .interface import PruneCounts

__all__ = ["DECISIONS", "OUTCOMES", "RedisLog"]

T = TypeVar("T")
DECISIONS = "decisions"
OUTCOMES = "outcomes"
SEPARATOR = "\x1f"


class RedisLog:
    """Reads and prunes the log of one `RedisLedger`, through its client, key scheme and error mapping."""

    def __init__(
        self,
        client: aioredis.Redis,
        key: Callable[[str, str], str],
        call: Callable[[Awaitable[Any]], Awaitable[Any]],
    ) -> None:
        self._redis = client
        self._key = key
        self._call = call

    async def _members(
        self, index: str, until: datetime | None, cursor: tuple[int, str], limit: int
    ) -> list[tuple[str, int]]:
        """Up to `limit` (member, score) pairs before `until`, past `cursor` in (score, member) order."""
        high = f"({to_us(until)}" if until is not None else "+inf"
        found: list[tuple[str, int]] = []
        offset = 0
        while len(found) < limit:
            batch = await self._call(
                self._redis.zrangebyscore(
                    self._key("log", index), cursor[0], high, start=offset, num=limit, withscores=True
                )
            )
            if not batch:
                break
            offset += len(batch)
            for member, score in batch:
                entry = (str(member), int(score))
                if (entry[1], entry[0]) > cursor:
                    found.append(entry)
        return found[:limit]

    async def decisions(
        self, since: datetime, until: datetime | None, after: DecisionRow | None, limit: int
    ) -> list[DecisionRow]:
        members = await self._members(DECISIONS, until, decision_cursor(since, after), limit)
        async with self._redis.pipeline(transaction=False) as pipe:
            for decision_id, _ in members:
                pipe.hmget(
                    self._key("decision", decision_id), ["body", "subject", "recorded_at", "reward", "reward_currency"]
                )
            fields = await self._call(pipe.execute()) if members else []
        return [
            decision_row(Decision.model_validate_json(body), subject, recorded, float(reward) if reward else None, cur)
            for body, subject, recorded, reward, cur in fields
            if body is not None
        ]

    async def outcomes(
        self, since: datetime, until: datetime | None, after: OutcomeRow | None, limit: int
    ) -> list[OutcomeRow]:
        at, decision_id, outcome = outcome_cursor(since, after)
        cursor = (at, f"{decision_id}{SEPARATOR}{outcome}" if decision_id else "")
        members = await self._members(OUTCOMES, until, cursor, limit)
        async with self._redis.pipeline(transaction=False) as pipe:
            for member, _ in members:
                decision_id, _, outcome = member.rpartition(SEPARATOR)
                pipe.hmget(self._key("decision", decision_id), ["subject", f"value:{outcome}", f"currency:{outcome}"])
            found = await self._call(pipe.execute()) if members else []
        rows = []
        for (member, score), (subject, value, currency) in zip(members, found, strict=True):
            decision_id, _, outcome = member.rpartition(SEPARATOR)
            if subject is not None:
                row = {"decision_id": decision_id, "subject_id": subject, "outcome": outcome, "occurred_at_us": score}
                rows.append(outcome_row(row | {"value": value, "currency": currency}))
        return rows

    async def prune(self, before: datetime, *, batch: int = 1000) -> PruneCounts:
        """Delete decisions decided before `before` whose contact is before it too, each in one MULTI."""
        cut = to_us(before)
        counts = PruneCounts()
        kept = 0  # decisions kept for a later contact stay in the index: page past them
        while True:
            ids = await self._call(
                self._redis.zrangebyscore(self._key("log", DECISIONS), "-inf", f"({cut}", start=kept, num=batch)
            )
            if not ids:
                return counts
            for decision_id in ids:
                pruned = await self._prune_one(str(decision_id), cut)
                if pruned is None:
                    kept += 1
                else:
                    counts = _add(counts, pruned)

    async def _prune_one(self, decision_id: str, cut: int) -> PruneCounts | None:
        """What pruning one decision deleted; None when its contact is too recent to go."""
        body, subject = await self._call(self._redis.hmget(self._key("decision", decision_id), ["body", "subject"]))
        if body is None or subject is None:
            await self._call(self._redis.zrem(self._key("log", DECISIONS), decision_id))
            return PruneCounts()
        contact_at = await self._call(self._redis.zscore(self._key("contacts", subject), decision_id))
        if contact_at is not None and int(contact_at) >= cut:
            return None
        outcomes = await self._call(self._redis.hkeys(self._key("feedback", decision_id)))
        decision = Decision.model_validate_json(body)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(self._key("event", decision.event_id), self._key("decision", decision_id))
            pipe.delete(self._key("feedback", decision_id))
            pipe.zrem(self._key("contacts", subject), decision_id)
            pipe.hdel(self._key("contact", subject), decision_id)
            pipe.zrem(self._key("log", DECISIONS), decision_id)
            pipe.srem(self._key("subject", subject), decision_id)
            if outcomes:
                pipe.zrem(self._key("log", OUTCOMES), *(f"{decision_id}{SEPARATOR}{o}" for o in outcomes))
            await self._call(pipe.execute())
        return PruneCounts(decisions=1, contacts=int(contact_at is not None), outcomes=len(outcomes))

    async def pseudonymise(self, subject_id: str, pseudonym: str) -> int:
        """Rename a subject throughout the log: its decisions (found through `subject:<id>` and its contacts),
        and its per-subject keys, in one MULTI."""
        listed = await self._call(self._redis.smembers(self._key("subject", subject_id)))
        contacted = await self._call(self._redis.zrange(self._key("contacts", subject_id), 0, -1))
        ids = sorted({str(i) for i in listed} | {str(i) for i in contacted})
        async with self._redis.pipeline(transaction=False) as pipe:
            for decision_id in ids:
                pipe.hget(self._key("decision", decision_id), "body")
            bodies = await self._call(pipe.execute()) if ids else []
        renamed = [(i, body) for i, body in zip(ids, bodies, strict=True) if body is not None]
        async with self._redis.pipeline(transaction=True) as pipe:
            for decision_id, body in renamed:
                new_body = renamed_body(Decision.model_validate_json(body), pseudonym)
                pipe.hset(self._key("decision", decision_id), mapping={"subject": pseudonym, "body": new_body})
            for kind in ("contacts", "contact", "converted", "subject"):
                pipe.copy(self._key(kind, subject_id), self._key(kind, pseudonym), replace=True)
                pipe.delete(self._key(kind, subject_id))
            await self._call(pipe.execute())
        return len(renamed)


def _add(left: PruneCounts, right: PruneCounts) -> PruneCounts:
    return PruneCounts(
        decisions=left.decisions + right.decisions,
        contacts=left.contacts + right.contacts,
        outcomes=left.outcomes + right.outcomes,
    )
