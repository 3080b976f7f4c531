"""The Redis ledger: for several hosts sharing one ledger. Check-and-reserve runs as one Lua script.

Keys, under `prefix`: `event:<event_id>` → decision id; `decision:<id>` → hash (body, subject,
fingerprint, would_have); `contacts:<subject>` → zset of decision ids by contact time;
`contact:<subject>` → hash of contact JSON; `feedback:<id>` → hash of outcome → time; `converted:<subject>`;
`subject:<subject>` → set of the subject's decision ids (for erasure);
`log:decisions` and `log:outcomes` → the decision log's time indexes (see `_redis_log`).
A script touches keys of one subject only, but the keys carry no hash tag: this targets one Redis
(or a primary with replicas), not Redis Cluster.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Sequence
from datetime import datetime
from typing import Any, TypeVar

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from nextbest.clock import Clock, SystemClock
from nextbest.contracts import (
    ActionProposal,
    Channel,
    Decision,
    DecisionRow,
    FeedbackOutcome,
    FeedbackResponse,
    OutcomeRow,
)
from nextbest.errors import NotFoundError, StoreError

from ..caps import CapCheck, Reservation
from ..contacts import Contact, ContactHistory, ContactStatus
from ._codec import as_of, from_us, reserved_contact, to_us
from ._log_rows import earned
from ._lua import COMMIT, FEEDBACK
from ._redis_log import DECISIONS, OUTCOMES, RedisLog
from .interface import CommitResult, CommitStatus, PruneCounts

__all__ = ["RedisLedger"]

T = TypeVar("T")


def _contact_json(contact: Contact) -> str:
    # '' stands for None: cjson turns JSON null into a sentinel that compares unequal to everything
    return json.dumps(
        {
            "channel": contact.channel.value,
            "offer_id": contact.offer_id or "",
            "use_case": contact.use_case or "",
            "cart_id": contact.cart_id or "",
            "transactional": contact.transactional,
            "at": str(to_us(contact.at)),
            "status": contact.status.value,
        }
    )


def _contact(decision_id: str, raw: str) -> Contact:
    data = json.loads(raw)
    return Contact(
        decision_id=decision_id,
        channel=Channel(data["channel"]),
        at=from_us(int(data["at"])),
        offer_id=data["offer_id"] or None,
        use_case=data["use_case"] or None,
        cart_id=data["cart_id"] or None,
        transactional=bool(data["transactional"]),
        status=ContactStatus(data["status"]),
    )


def _text(value: bytes | str | None) -> str | None:
    # the client decodes responses, but its stubs still admit bytes
    return value.decode() if isinstance(value, bytes) else value


def _caps_json(caps: Sequence[CapCheck]) -> str:
    return json.dumps(
        [
            {
                "name": cap.name,
                "limit": cap.limit,
                "lo": str(to_us(cap.since)),
                "hi": str(to_us(cap.until)),
                "channels": ",".join(sorted(channel.value for channel in cap.channels or ())),
                "offer_id": cap.offer_id or "",
            }
            for cap in caps
        ]
    )


class RedisLedger:
    """A `Ledger` in Redis (redis.asyncio); safe across processes and hosts."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "nextbest:ledger",
        clock: Clock | None = None,
        reservation_ttl_s: int = 900,
    ) -> None:
        self._redis: aioredis.Redis = aioredis.from_url(url, decode_responses=True)
        self._prefix = prefix
        self._clock = clock or SystemClock()
        self._ttl_s = reservation_ttl_s
        self._commit_script = self._redis.register_script(COMMIT)
        self._feedback_script = self._redis.register_script(FEEDBACK)
        self._log = RedisLog(self._redis, self._key, self._call)

    def _key(self, kind: str, name: str) -> str:
        return f"{self._prefix}:{kind}:{name}"

    async def _call(self, pending: Awaitable[T]) -> T:
        try:
            return await pending
        except RedisError as exc:
            raise StoreError(f"Redis ledger: {exc}") from exc

    async def history(self, subject_id: str, since: datetime, *, now: datetime | None = None) -> ContactHistory:
        now = now or self._clock.now()
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zrangebyscore(self._key("contacts", subject_id), to_us(since), "+inf")
            pipe.exists(self._key("converted", subject_id))
            ids, converted = await self._call(pipe.execute())
        raw = await self._call(self._redis.hmget(self._key("contact", subject_id), ids)) if ids else []
        bodies = [_text(body) for body in raw]
        contacts = tuple(
            as_of(_contact(item, body), now, self._ttl_s) for item, body in zip(ids, bodies, strict=True) if body
        )
        return ContactHistory(contacts=contacts, converted=bool(converted))

    async def commit(
        self,
        decision: Decision,
        *,
        subject_id: str,
        request_fingerprint: str,
        reservation: Reservation | None = None,
        would_have: ActionProposal | None = None,
    ) -> CommitResult:
        reserved = reserved_contact(reservation, decision)
        caps = reservation.caps if reservation is not None else ()
        keys = [
            self._key("event", decision.event_id),
            self._key("decision", decision.decision_id),
            self._key("contacts", subject_id),
            self._key("contact", subject_id),
            self._key("log", DECISIONS),
            self._key("subject", subject_id),
        ]
        args: list[Any] = [
            decision.decision_id,
            decision.model_dump_json(),
            subject_id,
            request_fingerprint,
            _contact_json(reserved) if reserved is not None else "",
            to_us(self._clock.now()),
            self._ttl_s * 1_000_000,
            _caps_json(caps),
            would_have.model_dump_json() if would_have is not None else "",
            to_us(reserved.at) if reserved is not None else 0,
            to_us(decision.decided_at),
        ]
        status, detail = await self._call(self._commit_script(keys=keys, args=args))
        if status == "duplicate":
            return await self._duplicate(detail, request_fingerprint)
        if status == "cap_exceeded":
            return CommitResult(CommitStatus.CAP_EXCEEDED, None, cap=detail)
        if status == "conflict":
            raise StoreError(f"decision id {detail!r} is already stored for another event")
        return CommitResult(CommitStatus.CREATED, decision)

    async def _duplicate(self, decision_id: str, fingerprint: str) -> CommitResult:
        body, stored_fingerprint = await self._call(
            self._redis.hmget(self._key("decision", decision_id), ["body", "fingerprint"])
        )
        if body is None:
            raise StoreError(f"event points at decision {decision_id!r}, which is missing")
        return CommitResult(
            CommitStatus.DUPLICATE,
            Decision.model_validate_json(body),
            fingerprint_matches=stored_fingerprint == fingerprint,
        )

    async def find_by_event(self, event_id: str) -> Decision | None:
        decision_id = _text(await self._call(self._redis.get(self._key("event", event_id))))
        return await self.get_decision(decision_id) if decision_id is not None else None

    async def get_decision(self, decision_id: str) -> Decision | None:
        body = await self._call(self._redis.hget(self._key("decision", decision_id), "body"))
        return Decision.model_validate_json(body) if body is not None else None

    async def would_have(self, decision_id: str) -> ActionProposal | None:
        raw = await self._call(self._redis.hget(self._key("decision", decision_id), "would_have"))
        return ActionProposal.model_validate_json(raw) if raw else None

    async def record_feedback(
        self,
        decision_id: str,
        outcome: FeedbackOutcome,
        occurred_at: datetime,
        *,
        value: float | None = None,
        currency: str | None = None,
    ) -> FeedbackResponse:
        # The subject and body never change but by erasure, so reading them before the script cannot race.
        found = await self._call(self._redis.hmget(self._key("decision", decision_id), ["subject", "body"]))
        subject, body = (_text(value) for value in found)
        if subject is None or body is None:
            raise NotFoundError("decision", decision_id)
        reward = earned(Decision.model_validate_json(body), outcome, value)
        keys = [
            self._key("decision", decision_id),
            self._key("feedback", decision_id),
            self._key("contact", subject),
            self._key("converted", subject),
            self._key("log", OUTCOMES),
        ]
        args = [
            decision_id,
            outcome.value,
            to_us(occurred_at),
            repr(value) if value is not None else "",
            currency or "",
            repr(reward) if reward is not None else "",
        ]
        result = await self._call(self._feedback_script(keys=keys, args=args))
        if result == "missing":
            raise NotFoundError("decision", decision_id)
        return FeedbackResponse(
            decision_id=decision_id, outcome=outcome, recorded=True, duplicate=result == "duplicate"
        )

    async def decisions_since(
        self,
        since: datetime,
        *,
        until: datetime | None = None,
        after: DecisionRow | None = None,
        limit: int = 1000,
    ) -> list[DecisionRow]:
        return await self._log.decisions(since, until, after, limit)

    async def outcomes_since(
        self,
        since: datetime,
        *,
        until: datetime | None = None,
        after: OutcomeRow | None = None,
        limit: int = 1000,
    ) -> list[OutcomeRow]:
        return await self._log.outcomes(since, until, after, limit)

    async def prune(self, before: datetime) -> PruneCounts:
        return await self._log.prune(before)

    async def pseudonymise(self, subject_id: str, pseudonym: str) -> int:
        return await self._log.pseudonymise(subject_id, pseudonym)

    async def ping(self) -> None:
        """Raise StoreError when Redis cannot be reached."""
        await self._call(self._redis.ping())

    async def close(self) -> None:
        await self._redis.aclose()
