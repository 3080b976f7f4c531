"""The HTTP API through TestClient: decisions, schema, errors, auth, feedback, idempotency."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from nextbest.app.api import create_app
from nextbest.app.bootstrap import open_runtime
from nextbest.clock import FixedClock
from nextbest.contracts import Decision

EXAMPLES = Path(__file__).resolve().parents[4] / "examples"
NOW = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)


def _body(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text())
    return body


@pytest.fixture
def client_for(settings: Any, world: Any) -> Iterator[Any]:
    clients: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        chosen = settings.model_copy(update=overrides)

        async def factory(s: Any) -> Any:
            return await open_runtime(s, clock=FixedClock(NOW), world=world, search=None)

        client = TestClient(create_app(chosen, runtime_factory=factory), raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.mark.parametrize(
    "name",
    [
        "cart_abandonment",
        "cross_sell_app",
        "geo_offer",
        "returning_visitor",
        "order_confirmation",
        "follow_up",
        "session_intent_1_camera_view",
    ],
)
def test_each_use_case_gets_a_valid_decision_with_real_ids(client_for: Any, world: Any, name: str) -> None:
    client = client_for()
    response = client.post("/v1/decide", json=_body(name))
    assert response.status_code == 200, response.text
    decision = Decision.model_validate(response.json())
    assert decision.action.value != "none"
    assert all(p.product_id in world.products for p in decision.products)
    assert decision.offer is None or decision.offer.offer_id in world.offers
    assert decision.guardrails
    assert decision.policy_version


def test_nothing_fits_is_none_and_retries_are_idempotent(client_for: Any) -> None:
    client = client_for()
    first_response = client.post("/v1/decide", json=_body("nothing_fits"))
    again_response = client.post("/v1/decide", json=_body("nothing_fits"))
    first, again = first_response.json(), again_response.json()
    assert first["action"] == "none"
    assert again["decision_id"] == first["decision_id"]
    assert (first["replayed"], again["replayed"]) == (False, True)
    assert "nextbest-replayed" not in first_response.headers
    assert again_response.headers["nextbest-replayed"] == "true"
    assert again | {"replayed": False} == first


def test_schema_is_published(client_for: Any) -> None:
    schema = client_for().get("/v1/schema").json()
    assert {"request", "decision", "feedback"} <= schema.keys()
    assert "event_id" in json.dumps(schema["request"])


def _with(event: dict[str, Any], **changes: Any) -> dict[str, Any]:
    body = _body("cart_abandonment")
    body["event"] |= event
    body |= changes
    return body


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_with({"occurred_at": "2026-11-28T10:00:00"}), "event.occurred_at"),
        (_with({"event_id": None}), "event.event_id"),
        (_with({"occurred_at": "yesterday"}), "event.occurred_at"),
        (_with({"user_id": None, "anonymous_id": None}), "event"),
        (_with({}, deadline_ms=-1), "deadline_ms"),
        (_with({}, channels=["carrier_pigeon"]), "channels.0"),
    ],
)
def test_malformed_requests_name_the_field(client_for: Any, body: dict[str, Any], field: str) -> None:
    response = client_for().post("/v1/decide", json=body)
    assert response.status_code == 422
    fields = [item["field"] for item in response.json()["error"]["fields"]]
    assert any(item.startswith(field) for item in fields), fields


def test_unknown_time_zone_is_a_422_naming_it(client_for: Any) -> None:
    body = _body("cart_abandonment")
    body["profile"]["timezone"] = "Mars/Olympus_Mons"
    response = client_for().post("/v1/decide", json=body)
    assert response.status_code == 422
    assert "Mars/Olympus_Mons" in response.text


def test_missing_event_id_is_named(client_for: Any) -> None:
    body = _body("cart_abandonment")
    del body["event"]["event_id"]
    response = client_for().post("/v1/decide", json=body)
    assert response.status_code == 422
    assert "event.event_id" in [item["field"] for item in response.json()["error"]["fields"]]


def test_invalid_json_is_400(client_for: Any) -> None:
    response = client_for().post("/v1/decide", content=b'{"event": ', headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json"


@pytest.mark.parametrize("content_type", ["text/plain", None])
def test_non_json_content_type_is_415(client_for: Any, content_type: str | None) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = client_for().post("/v1/decide", content=json.dumps(_body("cart_abandonment")), headers=headers)
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_a_megabyte_body_is_413(client_for: Any) -> None:
    body = _body("cart_abandonment")
    body["event"]["properties"]["padding"] = "x" * 1_000_000
    response = client_for().post("/v1/decide", json=body)
    assert response.status_code == 413


def test_keys_are_required_when_configured(client_for: Any) -> None:
    client = client_for(api_keys="k1,k2")
    assert client.post("/v1/decide", json=_body("cart_abandonment")).status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert client.post("/v1/decide", json=_body("cart_abandonment"), headers=wrong).status_code == 401
    right = {"Authorization": "Bearer k2"}
    assert client.post("/v1/decide", json=_body("cart_abandonment"), headers=right).status_code == 200
    assert client.get("/healthz").status_code == 200


def test_feedback_updates_and_unknown_ids_are_404(client_for: Any) -> None:
    client = client_for()
    decision = client.post("/v1/decide", json=_body("cart_abandonment")).json()
    feedback = {"decision_id": decision["decision_id"], "outcome": "delivered", "occurred_at": NOW.isoformat()}
    assert client.post("/v1/feedback", json=feedback).json()["recorded"] is True
    assert client.post("/v1/feedback", json=feedback).json()["duplicate"] is True
    unknown = client.post("/v1/feedback", json=feedback | {"decision_id": "dec_nope"})
    assert unknown.status_code == 404
    assert client.get(f"/v1/decisions/{decision['decision_id']}").json()["event_id"] == decision["event_id"]


def test_no_email_consent_never_gets_email(client_for: Any) -> None:
    body = _body("cart_abandonment")
    body["profile"]["consent"]["email"] = False
    decision = client_for().post("/v1/decide", json=body).json()
    assert decision["channel"] != "email"
    assert any(item["name"] == "consent" for item in decision["guardrails"])


def test_policies_are_visible_and_reloadable(client_for: Any) -> None:
    client = client_for()
    shown = client.get("/v1/policies").json()
    assert shown["version"] and "playbooks/cart_abandonment.md" in shown["files"]
    assert client.post("/v1/policies/reload").json()["version"] == shown["version"]


def test_a_decision_says_how_long_the_server_held_it(client_for: Any) -> None:
    client = client_for()
    response = client.post("/v1/decide", json=_body("cart_abandonment"))
    assert response.status_code == 200, response.text
    name, _, duration = response.headers["server-timing"].partition(";dur=")
    decision = Decision.model_validate(response.json())
    assert name == "decide"
    # counted from the arrival, before the body was read: at least the decision's own latency
    assert float(duration) >= round(decision.latency_ms, 1) - 0.1


def test_the_reply_cost_is_measured_for_the_reserve(client_for: Any) -> None:
    client = client_for()
    meter = client.app.state.runtime.decider.reserve
    before = meter.samples
    for number in range(10):  # past the meter's cold start
        body = _body("cross_sell_app")
        body["event"]["event_id"] = f"evt-reply-{number:02d}-x9"
        assert client.post("/v1/decide", json=body).status_code == 200
    commits, replies = meter.samples
    assert replies > before[1] and commits > before[0]
