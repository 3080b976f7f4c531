"""Issue #4's guarantees, proven through the HTTP API on both ledger backends."""

from __future__ import annotations

import asyncio
import json
import shutil
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from nextbest.app.api import create_app
from nextbest.app.bootstrap import open_runtime
from nextbest.clock import FixedClock
from nextbest.settings import Settings, default_policy_dir

EXAMPLES = Path(__file__).resolve().parents[4] / "examples"
NEW_YORK = ZoneInfo("America/New_York")
DAYTIME = datetime(2026, 11, 28, 11, 5, tzinfo=NEW_YORK)
REDIS_URL = "redis://127.0.0.1:6379/0"

Client = Callable[..., Any]


def _cart_request(
    user_id: str, *, at: datetime = DAYTIME, channels: list[str] | None = None, **profile: Any
) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((EXAMPLES / "cart_abandonment.json").read_text())
    body["event"] |= {"event_id": f"evt-{uuid.uuid4().hex}", "user_id": user_id, "occurred_at": at.isoformat()}
    body["profile"] |= {"user_id": user_id, "timezone": "America/New_York"} | profile
    body["profile"]["consent"] = {"email": True, "push": True, "sms": True, "app": True, "web": True}
    if channels is not None:
        body["channels"] = channels
    return body


@pytest.fixture(params=["sqlite", "redis"])
async def api(request: pytest.FixtureRequest, tmp_path: Path, world: Any) -> AsyncIterator[Client]:
    """Open an app per call on the chosen backend; the clock is shared so a test can move time."""
    opened: list[tuple[Any, httpx.AsyncClient]] = []

    async def make(clock: FixedClock, **settings: Any) -> httpx.AsyncClient:
        base = {
            "data_dir": tmp_path / f"data{len(opened)}",
            "holdout_percent": 0,
            "api_keys": "",
            "model": None,
            "policy_watch": False,
            "redis_url": REDIS_URL if request.param == "redis" else None,
        }
        chosen = Settings(**(base | settings))
        runtime = await open_runtime(chosen, clock=clock, world=world, search=None)
        app = create_app(chosen)
        app.state.runtime = runtime  # the lifespan is not run by ASGITransport
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://nextbest")
        opened.append((runtime, client))
        return client

    yield make
    for runtime, client in opened:
        await client.aclose()
        await runtime.aclose()


def _unique_user() -> str:
    return f"U-{uuid.uuid4().hex[:10]}"


async def test_no_email_consent_never_gets_email(api: Client) -> None:
    client = await api(FixedClock(DAYTIME))
    body = _cart_request(_unique_user())
    body["profile"]["consent"]["email"] = False
    decision = (await client.post("/v1/decide", json=body)).json()
    assert decision["channel"] != "email"
    consent = [v for v in decision["guardrails"] if v["name"] == "consent"]
    assert consent
    assert any("email" in v["detail"] for v in consent)


async def test_after_a_delivered_email_the_next_is_blocked_naming_the_rule(api: Client) -> None:
    clock = FixedClock(DAYTIME)
    client = await api(clock)
    user = _unique_user()
    first = (await client.post("/v1/decide", json=_cart_request(user, channels=["email"]))).json()
    assert first["channel"] == "email"
    feedback = {
        "decision_id": first["decision_id"],
        "outcome": "delivered",
        "occurred_at": (DAYTIME + timedelta(minutes=1)).isoformat(),
    }
    assert (await client.post("/v1/feedback", json=feedback)).status_code == 200
    later = DAYTIME + timedelta(hours=2)
    clock.set(later)
    second = (await client.post("/v1/decide", json=_cart_request(user, at=later, channels=["email"]))).json()
    assert second["action"] == "none"
    blocks = [v for v in second["guardrails"] if v["verdict"] == "block"]
    assert blocks, (second["reasons"], [v for v in second["guardrails"] if v["verdict"] != "pass"])
    assert any(
        v["name"] in ("frequency_caps", "channel_cooldown", "frequency_cap") and "email" in v["detail"] for v in blocks
    ), blocks


async def test_a_message_at_23_local_is_deferred_into_the_day(api: Client) -> None:
    late = datetime(2026, 11, 28, 23, 0, tzinfo=NEW_YORK)
    client = await api(FixedClock(late))
    decision = (await client.post("/v1/decide", json=_cart_request(_unique_user(), at=late, channels=["email"]))).json()
    assert decision["action"] == "message"
    send_at = datetime.fromisoformat(decision["send_at"]).astimezone(NEW_YORK)
    assert send_at == datetime(2026, 11, 29, 8, 0, tzinfo=NEW_YORK)
    quiet = [v for v in decision["guardrails"] if v["name"] == "quiet_hours" and v["stage"] == "post"]
    assert [v["verdict"] for v in quiet] == ["adjust"]


async def test_a_message_at_23_local_is_switched_on_site_when_configured(api: Client, tmp_path: Path) -> None:
    policy_dir = tmp_path / "prompts"
    shutil.copytree(default_policy_dir(), policy_dir)
    guardrails = policy_dir / "guardrails.yaml"
    guardrails.write_text(guardrails.read_text().replace("  mode: defer", "  mode: switch"))
    late = datetime(2026, 11, 28, 23, 0, tzinfo=NEW_YORK)
    client = await api(FixedClock(late), policy_dir=policy_dir)
    body = _cart_request(_unique_user(), at=late, channels=["email", "app"])
    decision = (await client.post("/v1/decide", json=body)).json()
    assert decision["channel"] == "app"
    # Shown on-site now, not deferred to the morning.
    assert decision["send_at"] is None or datetime.fromisoformat(decision["send_at"]) < late + timedelta(minutes=1)


async def test_an_open_ticket_gets_no_offer(api: Client) -> None:
    client = await api(FixedClock(DAYTIME))
    decision = (await client.post("/v1/decide", json=_cart_request(_unique_user(), open_support_tickets=1))).json()
    assert decision["offer"] is None
    tickets = [v for v in decision["guardrails"] if v["name"] == "support_ticket"]
    assert tickets
    assert tickets[0]["verdict"] != "pass"


async def test_fifty_concurrent_requests_under_cap_one_give_exactly_one_message(api: Client) -> None:
    client = await api(FixedClock(DAYTIME))
    user = _unique_user()
    replies = await asyncio.gather(
        *(client.post("/v1/decide", json=_cart_request(user, channels=["email"])) for _ in range(50))
    )
    assert all(reply.status_code == 200 for reply in replies)
    actions = [reply.json()["action"] for reply in replies]
    assert actions.count("message") == 1
    assert set(actions) == {"message", "none"}


@pytest.mark.parametrize("api", ["sqlite"], indirect=True)
async def test_ten_percent_holdout_over_ten_thousand_users(api: Client) -> None:
    client = await api(FixedClock(DAYTIME), holdout_percent=10)
    semaphore = asyncio.Semaphore(64)

    async def decide(index: int) -> dict[str, Any]:
        body = _cart_request(f"HOLD-{index:05d}") | {"dry_run": True}
        async with semaphore:
            reply = await client.post("/v1/decide", json=body)
        assert reply.status_code == 200
        result: dict[str, Any] = reply.json()
        return result

    decisions = await asyncio.gather(*(decide(index) for index in range(10_000)))
    held = [d for d in decisions if d["holdout"]]
    assert 900 <= len(held) <= 1100
    assert all(d["action"] == "none" for d in held)
    assert all(d["action"] == "message" for d in decisions if not d["holdout"])
