"""The HTTP edge: rate limits, CORS, offline docs, the access log, chunked bodies over the limit, bad JSON."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest

from nextbest.app.api._ratelimit import RateLimiter
from nextbest.app.api._scopes import Access, KeyRing
from nextbest.settings import Settings

from .conftest import example_body

ORIGIN = "https://shop.example.test"


def _hour_limit(client: Any, keys: str, per_window: int) -> None:
    """Swap in the same limiter with a one-hour window, so no request can fall into a fresh second."""
    settings = Settings(api_keys=keys)
    client.app.state.access = Access(KeyRing(settings.scoped_api_keys), RateLimiter(per_window, window_s=3600))


def test_rate_limit_is_per_key_with_retry_after(api_client: Any) -> None:
    client = api_client(api_keys="secret:ka,secret:kb")
    _hour_limit(client, "secret:ka,secret:kb", 2)
    first = {"Authorization": "Bearer ka"}
    assert [client.get("/v1/policies", headers=first).status_code for _ in range(2)] == [200, 200]
    over = client.get("/v1/policies", headers=first)
    assert over.status_code == 429
    assert over.json()["error"]["code"] == "rate_limited"
    assert 3000 < int(over.headers["retry-after"]) <= 3600
    assert client.get("/v1/policies", headers={"Authorization": "Bearer kb"}).status_code == 200
    assert client.get("/healthz").status_code == 200  # public routes are not limited


def test_rate_limit_setting_reaches_the_limiter_and_is_off_by_default(api_client: Any) -> None:
    assert api_client(rate_limit_rps=7).app.state.access.limiter.per_second == 7
    client = api_client()
    assert client.app.state.access.limiter.per_second == 0
    assert all(client.get("/v1/policies").status_code == 200 for _ in range(30))


def test_cors_preflight_from_an_allowed_origin_is_answered(api_client: Any) -> None:
    client = api_client(cors_origins=f"{ORIGIN}, https://app.example.test")
    preflight = {
        "Origin": ORIGIN,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, nextbest-user-hash",
    }
    answer = client.options("/v1/decide", headers=preflight)
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == ORIGIN
    assert "POST" in answer.headers["access-control-allow-methods"]
    assert "access-control-allow-credentials" not in answer.headers
    decided = client.post("/v1/decide", json=example_body("returning_visitor"), headers={"Origin": ORIGIN})
    assert decided.headers["access-control-allow-origin"] == ORIGIN
    assert "nextbest-replayed" in decided.headers["access-control-expose-headers"].lower()


def test_cors_preflight_from_another_origin_is_refused(api_client: Any) -> None:
    client = api_client(cors_origins=ORIGIN)
    preflight = {"Origin": "https://evil.example.test", "Access-Control-Request-Method": "POST"}
    answer = client.options("/v1/decide", headers=preflight)
    assert answer.status_code == 400
    assert "access-control-allow-origin" not in answer.headers
    plain = client.get("/healthz", headers={"Origin": "https://evil.example.test"})
    assert "access-control-allow-origin" not in plain.headers


@pytest.mark.parametrize("origins", ["*", "https://*.example.com", "shop.example.com"])
def test_cors_origins_must_be_exact(origins: str) -> None:
    with pytest.raises(ValueError, match="is not an exact origin"):
        Settings(cors_origins=origins)


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_reference_only_local_assets_and_they_load(api_client: Any, page: str) -> None:
    client = api_client()
    html = client.get(page).text
    assets = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    assert assets, html
    assert "cdn" not in html.lower()
    for asset in assets:
        assert asset.startswith("/"), f"{page} loads {asset} from elsewhere"
        loaded = client.get(asset)
        assert loaded.status_code == 200, asset
        assert len(loaded.content) > 1000 or asset.endswith(".png")
    assert client.get("/openapi.json").json()["info"]["title"] == "nextbest"


@pytest.fixture
def access_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with caplog.at_level(logging.INFO, logger="nextbest.access"):
        yield caplog


def test_access_log_has_one_line_per_request_and_never_the_body(api_client: Any, access_log: Any) -> None:
    client = api_client(access_log=True)
    body = example_body("returning_visitor")
    body["profile"]["traits"]["first_name"] = "Zebulon-Secret-Name"
    access_log.clear()
    reply = client.post("/v1/decide", json=body, headers={"X-Request-Id": "req-abc.123"})
    client.get("/v1/decisions/dec_missing")
    lines = [r for r in access_log.records if r.name == "nextbest.access"]
    assert [r.levelno for r in lines] == [logging.INFO, logging.INFO]
    first, second = (r.getMessage() for r in lines)
    assert re.fullmatch(r"POST /v1/decide 200 \d+\.\dms request_id=req-abc\.123", first), first
    assert re.fullmatch(r"GET /v1/decisions/dec_missing 404 \d+\.\dms request_id=[0-9a-f]{32}", second), second
    assert reply.headers["x-request-id"] == "req-abc.123"
    assert "Zebulon" not in access_log.text


def test_the_access_log_is_off_by_default_and_request_ids_still_echo(api_client: Any, access_log: Any) -> None:
    client = api_client()
    access_log.clear()
    reply = client.post("/v1/decide", json=example_body("returning_visitor"), headers={"X-Request-Id": "req-q.7"})
    assert reply.status_code == 200 and reply.headers["x-request-id"] == "req-q.7"
    assert [r for r in access_log.records if r.name == "nextbest.access"] == []


def test_a_malformed_request_id_is_replaced(api_client: Any) -> None:
    reply = api_client().get("/healthz", headers={"X-Request-Id": "bad id\twith spaces"})
    assert re.fullmatch(r"[0-9a-f]{32}", reply.headers["x-request-id"])


def test_a_chunked_body_over_the_limit_is_413(api_client: Any) -> None:
    client = api_client(max_body_bytes=4096)
    chunks = iter([b'{"event": {"padding": "' + b"x" * 3000, b"x" * 3000, b'"}}'])
    response = client.post("/v1/decide", content=chunks, headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"] == {"code": "payload_too_large", "message": "the body is over 4096 bytes"}


def test_a_chunked_body_under_the_limit_is_decided(api_client: Any) -> None:
    payload = json.dumps(example_body("returning_visitor")).encode()
    chunks = iter([payload[:100], payload[100:]])
    response = api_client().post("/v1/decide", content=chunks, headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text


def test_invalid_json_names_line_column_and_an_excerpt(api_client: Any) -> None:
    raw = b'{\n  "event": {\n    "event_id": "evt-1",,\n    "type": "page_view"\n  }\n}'
    response = api_client().post("/v1/decide", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_json"
    assert error["fields"][0] | {"message": ""} == {
        "field": "body", "message": "", "type": "json_invalid", "line": 3, "column": 25,
    }  # fmt: skip
    assert error["message"].startswith("the body is not valid JSON: line 3, column 25: ")
    assert '"evt-1",,' in error["message"]
