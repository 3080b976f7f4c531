"""The subject store's contract, on SQLite, Redis and PostgreSQL alike."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from nextbest.clock import FixedClock
from nextbest.contracts import Consent, Event, ProfileRecord, Traits
from nextbest.subjects import MemoryBounds, SubjectStore

from .conftest import NOW, open_store


def _event(kind: str, minutes_ago: float, *, user: str | None = None, anon: str | None = None, **props: Any) -> Event:
    return Event.model_validate(
        {
            "event_id": f"ev-{uuid.uuid4().hex[:10]}",
            "type": kind,
            "occurred_at": (NOW - timedelta(minutes=minutes_ago)).isoformat(),
            "user_id": user,
            "anonymous_id": anon,
            "properties": props,
            "context": {"surface": "app", "page": "listing"},
        }
    )


async def test_a_timeline_is_remembered_oldest_first(store: SubjectStore) -> None:
    first = _event("product_view", 9, user="rider-17", product_id="KY-0042", category="kayaks")
    second = _event("search", 4, user="rider-17", query="dry bag 20l")
    recorded = await store.record([second, first])
    recall = await store.recall("rider-17")
    assert recorded.remembered == 2
    assert [e.event_id for e in recall.events] == [first.event_id, second.event_id]
    assert recall.events[1].query == "dry bag 20l"
    assert recall.events[0].page == "listing"
    assert recall.profile is None


async def test_a_repeated_event_is_remembered_once(store: SubjectStore) -> None:
    event = _event("product_view", 3, user="rider-18", product_id="TN-3")
    await store.record([event])
    again = await store.record([event])
    assert again.remembered == 0
    assert len((await store.recall("rider-18")).events) == 1


async def test_memory_keeps_the_newest_events_within_its_days(store: SubjectStore) -> None:
    old = _event("product_view", 60 * 24 * 8, user="rider-19", product_id="OLD")
    recent = [_event("product_view", 10 - i, user="rider-19", product_id=f"P{i}") for i in range(7)]
    await store.record([old, *recent])
    kept = [e.product_id for e in (await store.recall("rider-19")).events]
    assert kept == ["P2", "P3", "P4", "P5", "P6"]  # bounds: 5 events, 7 days


async def test_an_identify_links_and_merges_the_anonymous_session(store: SubjectStore) -> None:
    view = _event("product_view", 20, anon="cookie-a1", product_id="CAM-9", category="cameras")
    search = _event("search", 12, anon="cookie-a1", query="sd card")
    await store.record([view, search])
    identify = _event("identify", 5, user="rider-20", anon="cookie-a1", traits={"first_name": "Ines"})
    recorded = await store.record([identify])
    assert recorded.linked == ("anon:cookie-a1",)
    assert recorded.profiles_updated == 1
    recall = await store.recall("rider-20")
    assert [e.event_id for e in recall.events] == [view.event_id, search.event_id]  # the identify itself is not
    assert recall.profile is not None and recall.profile.traits is not None
    assert recall.profile.traits.first_name == "Ines"
    later = _event("product_view", 1, anon="cookie-a1", product_id="TRIPOD-1")
    await store.record([later])
    assert (await store.recall("rider-20")).events[-1].event_id == later.event_id
    assert (await store.recall("anon:cookie-a1")).profile is None  # an anonymous recall never gets a profile


async def test_profiles_merge_field_by_field(store: SubjectStore) -> None:
    await store.put_profiles(
        [
            ProfileRecord(
                user_id="rider-21",
                traits=Traits(first_name="Kofi", loyalty_tier="gold"),
                consent=Consent(email=False, web=True),
                timezone="Africa/Accra",
            )
        ]
    )
    await store.put_profiles([ProfileRecord(user_id="rider-21", traits=Traits(loyalty_tier="platinum"))])
    profile = (await store.recall("rider-21")).profile
    assert profile is not None and profile.traits is not None and profile.consent is not None
    assert (profile.traits.first_name, profile.traits.loyalty_tier) == ("Kofi", "platinum")
    assert profile.consent.email is False
    assert profile.timezone == "Africa/Accra"
    assert profile.purchase_history is None  # never given: unknown, not empty


async def test_forget_removes_the_subject_and_its_linked_anonymous_subjects(store: SubjectStore) -> None:
    await store.record([_event("product_view", 30, anon="cookie-b2", product_id="X1")])
    await store.record([_event("page_view", 20, user="rider-22", anon="cookie-b2")])
    await store.put_profiles([ProfileRecord(user_id="rider-22", timezone="Asia/Kolkata")])
    await store.record([_event("product_view", 2, user="rider-23", product_id="KEEP")])
    forgotten = await store.forget("rider-22")
    assert set(forgotten.subjects) == {"rider-22", "anon:cookie-b2"}
    assert forgotten.profile is True
    assert forgotten.links == 1
    assert forgotten.events >= 3
    assert (await store.recall("rider-22")).events == ()
    assert (await store.recall("rider-22")).profile is None
    assert (await store.recall("anon:cookie-b2")).events == ()
    await store.record([_event("product_view", 1, anon="cookie-b2", product_id="AFTER")])
    assert (await store.recall("rider-22")).events == ()  # the link is gone too
    assert len((await store.recall("rider-23")).events) == 1


async def test_memory_survives_a_restart(
    backend: str, tmp_path: Any, clock: FixedClock, redis_prefix: str, pg_schema: str
) -> None:
    bounds = MemoryBounds()
    first = await open_store(backend, tmp_path, clock, redis_prefix, pg_schema, bounds)
    await first.record([_event("add_to_cart", 3, user="rider-24", product_id="PADDLE-2")])
    await first.close()
    second = await open_store(backend, tmp_path, clock, redis_prefix, pg_schema, bounds)
    try:
        assert [e.product_id for e in (await second.recall("rider-24")).events] == ["PADDLE-2"]
    finally:
        await second.close()


def test_malformed_traits_are_refused_before_anything_is_written() -> None:
    from nextbest.subjects._timeline import plan

    with pytest.raises(ValueError, match="traits are not valid"):
        plan([_event("identify", 1, user="rider-25", traits={"lifetime_value": "lots"})])


async def test_a_segment_page_object_is_remembered_by_its_path(store: SubjectStore) -> None:
    event = Event.model_validate(
        {
            "event_id": "ev-page-1",
            "type": "page_view",
            "occurred_at": NOW.isoformat(),
            "anonymous_id": "cookie-p1",
            "context": {"page": {"path": "/tents", "url": "https://shop.example/tents"}},
        }
    )
    assert (await store.record([event])).remembered == 1
    assert [(e.type, e.page) for e in (await store.recall("anon:cookie-p1")).events] == [("page_view", "/tents")]
