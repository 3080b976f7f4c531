"""Every route under a secret key, a publishable key and no key; the scope table covers every route."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from nextbest.app.api import create_app
from nextbest.app.api._identity import USER_HASH_HEADER, user_hash
from nextbest.app.api._scopes import ROUTE_SCOPES, KeyRing, Scope, authorize
from nextbest.settings import Settings

from .conftest import NOW, example_body

SECRET, PUBLISHABLE, IDENTITY = "sk_test_7Hq2", "pk_test_Zr91", "identity-secret-for-tests"
KEYS = f"secret:{SECRET},publishable:{PUBLISHABLE}"


def _decide() -> tuple[dict[str, Any], dict[str, str]]:
    body = example_body("returning_visitor")
    return body, {USER_HASH_HEADER: user_hash(IDENTITY, body["event"]["user_id"])}


def _feedback() -> tuple[dict[str, Any], dict[str, str]]:
    return {"decision_id": "dec_unknown", "outcome": "clicked", "occurred_at": NOW.isoformat()}, {}


def _events() -> tuple[dict[str, Any], dict[str, str]]:
    event = {"event_id": "evt-scope-1", "type": "page_view", "occurred_at": NOW.isoformat(), "anonymous_id": "v-9"}
    return {"batch": [event]}, {}


def _product() -> tuple[dict[str, Any], dict[str, str]]:
    return {"product_id": "scope-lamp", "title": "Desk lamp", "category": "Lighting", "price": 31.0}, {}


def _inventory() -> tuple[dict[str, Any], dict[str, str]]:
    return {"items": [{"id": "scope-lamp", "store_code": "st-1", "quantity": 2}]}, {}


def _stores() -> tuple[dict[str, Any], dict[str, str]]:
    return {"stores": [{"store_id": "st-1", "name": "First", "lat": 1.5, "lon": 2.5}]}, {}


# (method, path, body and headers) -> the status for each caller: no key, publishable, secret.
CASES: list[tuple[str, str, Callable[[], tuple[dict[str, Any], dict[str, str]]] | None, tuple[int, int, int]]] = [
    ("GET", "/healthz", None, (200, 200, 200)),
    ("GET", "/readyz", None, (503, 503, 503)),  # public; 503: these clients open no catalog retrieval
    ("GET", "/metrics", None, (200, 200, 200)),
    ("GET", "/v1/schema", None, (200, 200, 200)),
    ("GET", "/docs", None, (200, 200, 200)),
    ("GET", "/docs/oauth2-redirect", None, (200, 200, 200)),
    ("GET", "/redoc", None, (200, 200, 200)),
    ("POST", "/v1/decide", _decide, (401, 200, 200)),
    ("POST", "/v1/feedback", _feedback, (401, 404, 404)),  # 404: past auth, the decision is unknown
    ("GET", "/v1/decisions/{decision_id}", None, (401, 403, 404)),
    ("GET", "/v1/policies", None, (401, 403, 200)),
    ("POST", "/v1/policies/reload", None, (401, 403, 200)),
    ("GET", "/v1/reports/lift", None, (401, 403, 200)),
    ("POST", "/v1/events", _events, (401, 200, 200)),
    ("DELETE", "/v1/subjects/{subject_id}", None, (401, 403, 200)),
    # 409: past auth, these clients decide over a handed-in world, with no retail store to write to
    ("PUT", "/v1/catalog/products/{product_id}", _product, (401, 403, 409)),
    ("DELETE", "/v1/catalog/products/{product_id}", None, (401, 403, 409)),
    ("POST", "/v1/inventory", _inventory, (401, 403, 409)),
    ("POST", "/v1/stores", _stores, (401, 403, 409)),
]


def _routes(app: Any) -> set[tuple[str, str]]:
    return {(m, r.path) for r in app.routes if isinstance(r, APIRoute) for m in r.methods}


def test_the_cases_cover_every_route_of_the_app() -> None:
    app = create_app(Settings(api_keys=KEYS))
    assert _routes(app) == {(method, path) for method, path, _, _ in CASES}


def test_every_route_declares_its_scope_and_enforces_it() -> None:
    app = create_app(Settings(api_keys=KEYS))
    for route in app.routes:
        if not isinstance(route, APIRoute):
            continue
        for method in route.methods:
            assert (method, route.path) in ROUTE_SCOPES, f"{method} {route.path}: add it to ROUTE_SCOPES"
            calls = [dependency.call for dependency in route.dependant.dependencies]
            if ROUTE_SCOPES[(method, route.path)] is not Scope.PUBLIC:
                assert authorize in calls, f"{method} {route.path} needs the authorize dependency"


@pytest.mark.parametrize(("method", "path", "make", "expected"), CASES)
@pytest.mark.parametrize(("caller", "key"), [(0, None), (1, PUBLISHABLE), (2, SECRET)])
def test_route_under_each_scope(
    api_client: Any, method: str, path: str, make: Any, expected: tuple[int, int, int], caller: int, key: str | None
) -> None:
    client: TestClient = api_client(api_keys=KEYS, identity_secret=IDENTITY)
    body, headers = make() if make else (None, {})
    if key is not None:
        headers = headers | {"Authorization": f"Bearer {key}"}
    url = path.replace("{decision_id}", "dec_unknown").replace("{subject_id}", "nobody-known")
    url = url.replace("{product_id}", "scope-lamp")
    response = client.request(method, url, json=body, headers=headers)
    assert response.status_code == expected[caller], response.text
    if response.status_code == 403:
        error = response.json()["error"]
        assert error["code"] == "forbidden"
        assert "needs a secret key" in error["message"]


def test_a_wrong_key_is_401_and_says_how_to_authenticate(api_client: Any) -> None:
    client = api_client(api_keys=KEYS)
    response = client.get("/v1/policies", headers={"Authorization": f"Bearer {SECRET}x"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_the_comma_separated_form_still_means_secret_keys(api_client: Any) -> None:
    client = api_client(api_keys="k1, k2")
    assert client.get("/v1/policies").status_code == 401
    assert client.post("/v1/policies/reload", headers={"Authorization": "Bearer k2"}).status_code == 200
    assert Settings(api_keys="k1,publishable:p1").scoped_api_keys == (("secret", "k1"), ("publishable", "p1"))
    assert Settings(api_keys="secret, publishable").scoped_api_keys == (("secret", "secret"), ("secret", "publishable"))
    assert Settings(api_keys="old:style:key").scoped_api_keys == (("secret", "old:style:key"),)


def test_a_scope_without_a_key_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="the publishable key is empty"):
        Settings(api_keys="secret:s1,publishable:")


def test_the_key_ring_matches_whole_keys_only() -> None:
    ring = KeyRing((("secret", SECRET), ("publishable", PUBLISHABLE)))
    found = ring.identify(PUBLISHABLE)
    assert found is not None
    assert found.scope is Scope.PUBLISHABLE
    assert PUBLISHABLE not in found.key_id
    assert ring.identify(PUBLISHABLE[:-1]) is None
    assert ring.identify("") is None
