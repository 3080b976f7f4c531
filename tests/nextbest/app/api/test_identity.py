"""Publishable keys: on-site surfaces and channels only, and a user only with a valid identity hash."""

from __future__ import annotations

from typing import Any

import pytest

from nextbest.app.api._identity import USER_HASH_HEADER, user_hash

from .conftest import example_body

PUBLISHABLE, SECRET, IDENTITY = "pk_live_Qm3", "sk_live_Vx8", "a-server-side-secret"
KEYS = f"publishable:{PUBLISHABLE},secret:{SECRET}"


def _headers(key: str = PUBLISHABLE, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", **extra}


def _web_body(user_id: str = "C0001", anonymous_id: str | None = None) -> dict[str, Any]:
    body = example_body("returning_visitor")
    body["event"]["event_id"] = f"evt-identity-{user_id}-{anonymous_id}"
    body["event"]["anonymous_id"] = anonymous_id
    return body


@pytest.fixture
def client(api_client: Any) -> Any:
    return api_client(api_keys=KEYS, identity_secret=IDENTITY)


def test_a_verified_user_is_decided_as_that_user(client: Any) -> None:
    headers = _headers(**{USER_HASH_HEADER: user_hash(IDENTITY, "C0001")})
    decision = client.post("/v1/decide", json=_web_body(anonymous_id="anon-77"), headers=headers).json()
    assert decision["user_id"] == "C0001"
    assert decision["action"] == "content"


@pytest.mark.parametrize(
    "presented",
    [None, "", user_hash(IDENTITY, "C0002"), user_hash("another-secret", "C0001"), "not-hex"],
)
def test_without_a_valid_hash_the_call_is_anonymous(client: Any, presented: str | None) -> None:
    headers = _headers(**({USER_HASH_HEADER: presented} if presented is not None else {}))
    response = client.post("/v1/decide", json=_web_body(anonymous_id="anon-77"), headers=headers)
    assert response.status_code == 200, response.text
    decision = response.json()
    assert decision["user_id"] is None
    stored = client.get(f"/v1/decisions/{decision['decision_id']}", headers=_headers(SECRET)).json()
    assert stored["user_id"] is None


def test_an_unverified_user_without_an_anonymous_id_is_refused(client: Any) -> None:
    response = client.post("/v1/decide", json=_web_body(), headers=_headers())
    assert response.status_code == 403
    message = response.json()["error"]["message"]
    assert "'C0001' is not verified" in message
    assert USER_HASH_HEADER in message


def test_an_anonymous_event_linked_to_a_profile_needs_the_hash_too(client: Any) -> None:
    body = _web_body(anonymous_id="anon-88")
    body["event"]["user_id"] = None
    unverified = client.post("/v1/decide", json=body, headers=_headers()).json()
    assert (unverified["user_id"], unverified["action"]) == (None, "none")  # the profile's history was dropped
    body["event"]["event_id"] += "-signed"
    headers = _headers(**{USER_HASH_HEADER: user_hash(IDENTITY, "C0001")})
    signed = client.post("/v1/decide", json=body, headers=headers).json()
    assert signed["action"] == "content"
    assert signed["reasons"][0].startswith("returning visitor")


def test_without_an_identity_secret_no_user_can_be_verified(api_client: Any) -> None:
    client = api_client(api_keys=KEYS)
    headers = _headers(**{USER_HASH_HEADER: user_hash(IDENTITY, "C0001")})
    assert client.post("/v1/decide", json=_web_body(), headers=headers).status_code == 403


def test_a_secret_key_needs_no_hash(client: Any) -> None:
    decision = client.post("/v1/decide", json=_web_body(), headers=_headers(SECRET)).json()
    assert decision["user_id"] == "C0001"


@pytest.mark.parametrize("surface", ["email", "pos", None])
def test_a_publishable_key_decides_only_for_web_and_app(client: Any, surface: str | None) -> None:
    body = _web_body(anonymous_id="anon-1")
    body["event"]["context"]["surface"] = surface
    response = client.post("/v1/decide", json=body, headers=_headers())
    assert response.status_code == 403
    assert f"(got {surface!r})" in response.json()["error"]["message"]


def test_a_publishable_key_may_not_ask_for_outbound_channels(client: Any) -> None:
    body = _web_body(anonymous_id="anon-2") | {"channels": ["web", "email", "sms"]}
    response = client.post("/v1/decide", json=body, headers=_headers())
    assert response.status_code == 403
    assert "not email, sms" in response.json()["error"]["message"]


def test_a_publishable_key_without_channels_gets_on_site_channels_only(client: Any) -> None:
    body = example_body("cart_abandonment")
    body["event"] |= {"anonymous_id": "anon-cart", "event_id": "evt-cart-publishable"}
    body.pop("channels")
    headers = _headers(**{USER_HASH_HEADER: user_hash(IDENTITY, body["event"]["user_id"])})
    decision = client.post("/v1/decide", json=body, headers=headers).json()
    assert (decision["action"], decision["channel"]) == ("none", None)  # a cart email is not on site
    assert "the caller delivers on none of email" in decision["reasons"][0]
    secret = client.post("/v1/decide", json=body | {"dry_run": True}, headers=_headers(SECRET)).json()
    assert secret["channel"] == "email"


def test_the_readme_in_app_example_works_with_a_publishable_key(client: Any) -> None:
    body = example_body("cross_sell_app")
    headers = _headers(**{USER_HASH_HEADER: user_hash(IDENTITY, "C0009")})
    decision = client.post("/v1/decide", json=body, headers=headers).json()
    assert (decision["user_id"], decision["action"], decision["channel"]) == ("C0009", "recommendation", "app")


def _identify(user: str, anonymous: str | None) -> dict[str, Any]:
    return {
        "event_id": f"evt-link-{user}-{anonymous}",
        "type": "identify",
        "occurred_at": "2026-11-28T14:00:00Z",
        "user_id": user,
        "anonymous_id": anonymous,
        "properties": {"traits": {"first_name": "Mallory"}},
    }


def test_a_publishable_key_cannot_link_or_write_traits_for_an_unverified_user(client: Any) -> None:
    answer = client.post("/v1/events", json=_identify("member-q7", "cookie-q7"), headers=_headers())
    assert answer.status_code == 200
    assert answer.json()["linked"] == [] and answer.json()["profiles_updated"] == 0
    verified = _headers(**{USER_HASH_HEADER: user_hash(IDENTITY, "member-q7")})
    linked = client.post("/v1/events", json=_identify("member-q7", "cookie-q8"), headers=verified).json()
    assert linked["linked"] == ["anon:cookie-q8"] and linked["profiles_updated"] == 1
    refused = client.post("/v1/events", json=_identify("member-q9", None), headers=_headers())
    assert refused.status_code == 403 and "not verified" in refused.text
