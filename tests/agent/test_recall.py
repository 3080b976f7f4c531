"""What a decision remembers: the merge of memory and stored profile into the request, and the time bound."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from agent.recall import enrich, merge_consent, recall_request
from nextbest.contracts import Consent, DecideRequest, Event, ProfileRecord, RememberedEvent, Traits
from nextbest.errors import StoreError
from nextbest.subjects import Forgotten, Recall, Recorded

AT = datetime(2027, 5, 2, 9, 15, tzinfo=UTC)


def _request(profile: dict[str, Any] | None = None, **event: Any) -> DecideRequest:
    body: dict[str, Any] = {
        "event": {
            "event_id": "e-now",
            "type": "product_view",
            "occurred_at": AT.isoformat(),
            "user_id": "fox-3",
            **event,
        }
    }
    if profile is not None:
        body["profile"] = {"user_id": "fox-3", **profile}
    return DecideRequest.model_validate(body)


def _remembered(event_id: str, minutes_ago: int, **fields: Any) -> RememberedEvent:
    return RememberedEvent(
        event_id=event_id, type="product_view", occurred_at=AT - timedelta(minutes=minutes_ago), **fields
    )


def test_remembered_events_join_the_requests_without_duplicates_or_the_event_itself() -> None:
    carried = {"type": "product_view", "occurred_at": (AT - timedelta(minutes=5)).isoformat(), "product_id": "TENT-4"}
    request = _request({"recent_events": [carried]})
    recall = Recall(
        events=(
            _remembered("e-old", 30, product_id="STOVE-1"),
            _remembered("e-dup", 5, product_id="TENT-4"),  # the same as the carried row: type, time, product
            _remembered("e-now", 0, product_id="MAT-2"),  # the event being decided
        )
    )
    enriched, trace = enrich(request, recall)
    assert enriched.profile is not None
    assert [e.product_id for e in enriched.profile.recent_events] == ["STOVE-1", "TENT-4"]
    assert enriched.profile.recent_events[0].message_id == "e-old"
    assert trace.events == 1 and trace.profile_from_request == ["recent_events"]


def test_the_stored_profile_lies_under_the_requests() -> None:
    stored = ProfileRecord(
        user_id="fox-3",
        traits=Traits(first_name="Noa", loyalty_tier="silver"),
        consent=Consent(email=True, sms=False),
        timezone="America/Lima",
    )
    request = _request({"traits": {"loyalty_tier": "gold"}, "timezone": "Europe/Lisbon"})
    enriched, trace = enrich(request, Recall(profile=stored))
    profile = enriched.profile
    assert profile is not None
    assert (profile.traits.first_name, profile.traits.loyalty_tier) == ("Noa", "gold")
    assert profile.timezone == "Europe/Lisbon"
    assert (profile.consent.email, profile.consent.sms) == (True, False)
    assert trace.profile_from_store == ["traits.first_name", "consent.email", "consent.sms"]
    assert trace.profile_from_request == ["timezone", "traits"]


def test_the_merge_leaves_the_requests_own_profile_untouched() -> None:
    carried = {"type": "search", "occurred_at": (AT - timedelta(hours=3)).isoformat(), "query": "rain shell"}
    purchase = {"order_id": "o-77", "occurred_at": (AT - timedelta(days=9)).isoformat(), "product_ids": ["KAYAK-1"]}
    request = _request({"recent_events": [carried], "purchase_history": [purchase], "traits": {"first_name": "Ada"}})
    before = request.model_dump_json()
    stored = ProfileRecord(
        user_id="fox-3",
        traits=Traits(loyalty_tier="bronze"),
        consent=Consent(push=False),
        purchase_history=[{"order_id": "o-12", "occurred_at": AT - timedelta(days=40), "product_ids": ["PADDLE-2"]}],
    )
    recall = Recall(profile=stored, events=(_remembered("e-1", 10, product_id="BOOT-9"),))
    enriched, _ = enrich(request, recall)
    assert enriched.profile is not None and request.profile is not None
    assert len(enriched.profile.recent_events) == 2 and len(enriched.profile.purchase_history) == 2
    assert enriched.profile.traits.loyalty_tier == "bronze" and enriched.profile.consent.push is False
    assert request.model_dump_json() == before


def test_a_request_may_narrow_consent_but_never_widen_a_stored_denial() -> None:
    stored = Consent(email=False, push=True, global_opt_out=False)
    merged, from_store, overrode = merge_consent(stored, Consent(email=True, push=False))
    assert (merged.email, merged.push) == (False, False)
    assert overrode == ["email"] and from_store == []
    opted_out, _, overrode = merge_consent(Consent(global_opt_out=True), Consent(email=True, global_opt_out=False))
    assert opted_out.global_opt_out and overrode == ["global_opt_out"]


def test_nothing_remembered_leaves_the_request_as_it_was() -> None:
    request = _request()
    enriched, trace = enrich(request, Recall())
    assert enriched is request and enriched.profile is None and trace.events == 0


class _SlowStore:
    """A store that answers after `delay_s`, or fails."""

    def __init__(self, delay_s: float = 0, *, fail: bool = False) -> None:
        self.delay_s, self.fail = delay_s, fail

    async def recall(self, subject_id: str) -> Recall:
        await asyncio.sleep(self.delay_s)
        if self.fail:
            raise StoreError("connection reset")
        return Recall(events=(_remembered("e-x", 3, product_id="LAMP-1"),))

    async def record(self, events: Sequence[Event]) -> Recorded:
        return Recorded()

    async def put_profiles(self, profiles: Sequence[ProfileRecord]) -> int:
        return 0

    async def forget(self, subject_id: str) -> Forgotten:
        return Forgotten()

    async def close(self) -> None:
        return None


@dataclasses.dataclass
class _Settings:
    memory_timeout_ms: int = 50


@dataclasses.dataclass
class _Ctx:
    subjects: Any
    settings: Any = dataclasses.field(default_factory=_Settings)


async def test_a_slow_memory_is_skipped_and_the_trace_says_so() -> None:
    request = _request()
    enriched, trace = await recall_request(request, _Ctx(_SlowStore(delay_s=5)), 1.0)  # type: ignore[arg-type]
    assert enriched is request
    assert trace is not None and trace.skipped is not None and "decided without memory" in trace.skipped


async def test_a_failing_memory_is_skipped_and_an_answering_one_is_merged() -> None:
    request = _request()
    _, failed = await recall_request(request, _Ctx(_SlowStore(fail=True)), 1.0)  # type: ignore[arg-type]
    assert failed is not None and failed.skipped is not None and "connection reset" in failed.skipped
    enriched, trace = await recall_request(request, _Ctx(_SlowStore()), 1.0)  # type: ignore[arg-type]
    assert trace is not None and trace.skipped is None and trace.events == 1
    assert enriched.profile is not None and enriched.profile.recent_events[0].product_id == "LAMP-1"


async def test_no_time_left_means_no_read() -> None:
    _, trace = await recall_request(_request(), _Ctx(_SlowStore()), 0.0)  # type: ignore[arg-type]
    assert trace is not None and trace.skipped is not None and trace.events == 0
