"""Session memory and identity stitching through the HTTP API, on SQLite, Redis and PostgreSQL memory."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
import redis.asyncio as aioredis
from fastapi.testclient import TestClient
from psycopg import sql

from nextbest.app.api import create_app
from nextbest.app.bootstrap import open_runtime
from nextbest.clock import FixedClock
from nextbest.subjects import MemoryBounds, PostgresSubjectStore, RedisSubjectStore, SqliteSubjectStore

REDIS_URL = "redis://127.0.0.1:6379/0"
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
NOW = datetime(2027, 2, 14, 18, 45, tzinfo=UTC)
BACKENDS = [
    "sqlite",
    pytest.param("redis", marks=pytest.mark.redis),
    pytest.param("postgres", marks=pytest.mark.postgres),
]


@pytest.fixture
async def isolation() -> AsyncIterator[tuple[str, str]]:
    prefix, schema = f"test-events:{uuid.uuid4().hex}", f"test_events_{uuid.uuid4().hex[:12]}"
    yield prefix, schema
    client = aioredis.from_url(REDIS_URL)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}:*", count=500)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()
    async with await psycopg.AsyncConnection.connect(POSTGRES_URL, autocommit=True) as conn:
        await conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture(params=BACKENDS)
def client(
    request: pytest.FixtureRequest, settings: Any, world: Any, isolation: tuple[str, str]
) -> Iterator[TestClient]:
    prefix, schema = isolation
    clock = FixedClock(NOW)
    # about what memory does, not its time bound (tests/agent/test_recall.py): a cold first read on a loaded
    # CI machine may take over the default 100 ms
    settings = settings.model_copy(update={"memory_timeout_ms": 1000})

    async def factory(chosen: Any) -> Any:
        if request.param == "redis":
            store: Any = RedisSubjectStore(REDIS_URL, prefix=prefix, clock=clock, bounds=MemoryBounds())
        elif request.param == "postgres":
            store = await PostgresSubjectStore.open(POSTGRES_URL, schema=schema, clock=clock)
        else:
            chosen.data_dir.mkdir(parents=True, exist_ok=True)
            store = SqliteSubjectStore(chosen.data_dir / "subjects.sqlite3", clock=clock)
        return await open_runtime(chosen, clock=clock, world=world, search="auto", subjects=store)

    with TestClient(create_app(settings, runtime_factory=factory), raise_server_exceptions=False) as opened:
        yield opened


def _at(minutes_ago: float) -> str:
    return (NOW - timedelta(minutes=minutes_ago)).isoformat()


def _event(kind: str, minutes_ago: float, **fields: Any) -> dict[str, Any]:
    return {
        "event_id": f"evt-{uuid.uuid4().hex[:12]}",
        "type": kind,
        "occurred_at": _at(minutes_ago),
        "context": {"surface": "web"},
        **fields,
    }


def _one_of(world: Any, category: str) -> str:
    return str(next(p.product_id for p in world.products.values() if p.category == category))


Categories = Callable[[dict[str, Any]], list[str]]


@pytest.fixture
def categories(world: Any) -> Categories:
    def of(decision: dict[str, Any]) -> list[str]:
        return [world.products[p["product_id"]].category for p in decision["products"]]

    return of


def test_anonymous_session_then_identify_then_a_bare_decide_follows_the_latest_intent(
    client: TestClient, world: Any, categories: Categories
) -> None:
    visitor, member = f"vis-{uuid.uuid4().hex[:8]}", f"member-{uuid.uuid4().hex[:8]}"
    camera = _one_of(world, "cameras")
    session = [
        _event("product_view", 14, anonymous_id=visitor, properties={"product_id": camera, "category": "cameras"}),
        _event("search", 9, anonymous_id=visitor, properties={"query": "memory card"}),
    ]
    recorded = client.post("/v1/events", json={"batch": session})
    assert recorded.status_code == 200, recorded.text
    assert recorded.json()["remembered"] == 2
    identify = _event(
        "identify", 5, anonymous_id=visitor, user_id=member, properties={"traits": {"first_name": "Yara"}}
    )
    linked = client.post("/v1/events", json=identify).json()
    assert linked["linked"] == [f"anon:{visitor}"] and linked["profiles_updated"] == 1

    bare = {"event": _event("product_view", 0, user_id=member), "channels": ["web"]}
    decision = client.post("/v1/decide", json=bare).json()

    assert decision["use_case"] == "session_intent", decision
    assert categories(decision)[0] == "memory_cards"
    memory = decision["trace"]["memory"]
    assert memory["events"] == 2 and memory["skipped"] is None
    assert "recent_events" in memory["profile_from_store"] and "traits.first_name" in memory["profile_from_store"]


def test_without_memory_the_same_bare_decide_has_no_intent_to_follow(client: TestClient) -> None:
    bare = {"event": _event("product_view", 0, user_id=f"member-{uuid.uuid4().hex[:8]}"), "channels": ["web"]}
    decision = client.post("/v1/decide", json=bare).json()
    assert decision["action"] == "none"
    assert decision["trace"]["memory"]["events"] == 0


def test_every_decide_is_remembered_for_the_next(client: TestClient, world: Any, categories: Categories) -> None:
    member = f"member-{uuid.uuid4().hex[:8]}"
    first = {"event": _event("search", 6, user_id=member, properties={"query": "memory card"}), "channels": ["web"]}
    assert client.post("/v1/decide", json=first).status_code == 200
    bare = {"event": _event("product_view", 1, user_id=member), "channels": ["web"]}
    decision = client.post("/v1/decide", json=bare).json()
    assert decision["trace"]["memory"]["events"] == 1
    assert categories(decision)[0] == "memory_cards"


def test_a_returning_visitors_home_content_comes_from_their_last_session(
    client: TestClient, world: Any, categories: Categories
) -> None:
    member = f"member-{uuid.uuid4().hex[:8]}"
    bought = _one_of(world, "coffee")
    browsed = [p for p in world.products.values() if p.category == "sports"][:3]
    last_session = [
        _event("product_view", 60 * 24 * 3 + i, user_id=member, properties={"product_id": p.product_id})
        for i, p in enumerate(browsed)
    ]
    assert client.post("/v1/events", json={"batch": last_session}).status_code == 200
    purchase = {"order_id": "ord-77", "occurred_at": _at(60 * 24 * 40), "product_ids": [bought]}
    home = {
        "event": {**_event("page_view", 0, user_id=member), "context": {"surface": "web", "page": "home"}},
        "profile": {"user_id": member, "purchase_history": [purchase], "consent": {"web": True}},
        "channels": ["web"],
    }
    decision = client.post("/v1/decide", json=home).json()
    assert decision["use_case"] == "returning_visitor", decision
    assert categories(decision) and set(categories(decision)) == {"sports"}


def test_events_refuse_a_typo_and_malformed_traits_with_422(client: TestClient) -> None:
    typo = _event("page_view", 1, anonymous_id="vis-x")
    typo["ocurred_at"] = typo.pop("occurred_at")
    answer = client.post("/v1/events", json=typo)
    assert answer.status_code == 422 and "ocurred_at" in answer.text
    batch = client.post("/v1/events", json={"batch": [_event("page_view", 1)]})
    assert batch.status_code == 422 and "user_id or anonymous_id" in batch.text
    traits = _event("identify", 1, user_id="member-t", properties={"traits": {"lifetime_value": "a lot"}})
    bad = client.post("/v1/events", json=traits)
    assert bad.status_code == 422 and "traits" in bad.text


def test_erasure_forgets_the_person_and_pseudonymises_their_decisions(client: TestClient) -> None:
    visitor, member = f"vis-{uuid.uuid4().hex[:8]}", f"member-{uuid.uuid4().hex[:8]}"
    client.post("/v1/events", json=_event("search", 8, anonymous_id=visitor, properties={"query": "memory card"}))
    client.post("/v1/events", json=_event("identify", 6, anonymous_id=visitor, user_id=member))
    decided = client.post("/v1/decide", json={"event": _event("product_view", 2, user_id=member), "channels": ["web"]})
    decision_id = decided.json()["decision_id"]

    erased = client.delete(f"/v1/subjects/{member}").json()

    assert set(erased["subjects"]) == {member, f"anon:{visitor}"}
    assert erased["links"] == 1 and erased["events"] >= 2 and erased["decisions_pseudonymised"] == 1
    stored = client.get(f"/v1/decisions/{decision_id}").json()
    assert stored["user_id"].startswith("erased:") and member not in stored["user_id"]
    again = client.post("/v1/decide", json={"event": _event("product_view", 1, user_id=member), "channels": ["web"]})
    assert again.json()["trace"]["memory"]["events"] == 0


def test_segment_calls_are_remembered_as_nextbest_events(
    client: TestClient, world: Any, categories: Categories
) -> None:
    visitor, member = f"ajs-{uuid.uuid4().hex[:10]}", f"crm-{uuid.uuid4().hex[:8]}"
    camera = _one_of(world, "cameras")

    def call(kind: str, minutes_ago: float, **fields: Any) -> dict[str, Any]:
        stamp = {"messageId": f"ajs-next-{uuid.uuid4().hex}", "timestamp": _at(minutes_ago), "channel": "browser"}
        return {"type": kind, **stamp, **fields}

    batch = [
        call("track", 12, event="Product Viewed", anonymousId=visitor, properties={"product_id": camera}),
        call("track", 8, event="Products Searched", anonymousId=visitor, properties={"query": "memory card"}),
        call("identify", 4, anonymousId=visitor, userId=member, traits={"firstName": "Tomás"}),
    ]
    answer = client.post("/v1/events", json={"batch": batch})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"received": 3, "remembered": 4, "linked": [f"anon:{visitor}"], "profiles_updated": 1}

    bare = {"event": call("track", 0, event="Product Viewed", userId=member), "channels": ["web"]}
    decision = client.post("/v1/decide", json=bare).json()
    assert categories(decision)[0] == "memory_cards", decision
    assert "traits.first_name" in decision["trace"]["memory"]["profile_from_store"]
