"""The OpenAPI document: every status derived from the route, the error body with its code, auth only when keyed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

import jsonschema
import pytest
from fastapi import Depends, FastAPI
from fastapi.security import HTTPBearer
from fastapi.testclient import TestClient
from pydantic import BaseModel

from nextbest.app.api import create_app
from nextbest.app.api._error_model import ERRORS
from nextbest.app.api._openapi import AccessDoc, install_openapi
from nextbest.app.bootstrap import open_runtime

JSON = {"content-type": "application/json"}
EVENT = {"event_id": "evt-oa-1", "type": "page_view", "occurred_at": "2031-03-04T05:06:07+02:00", "user_id": "U-oa"}


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield method.upper(), path, operation


def _errors_of(document: dict[str, Any], method: str, path: str) -> set[int]:
    return {int(status) for status in document["paths"][path][method.lower()]["responses"] if status >= "400"}


@pytest.fixture
def client_for(settings: Any, world: Any) -> Iterator[Any]:
    clients: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        async def factory(chosen: Any) -> Any:
            return await open_runtime(chosen, world=world, search=None)

        app = create_app(settings.model_copy(update=overrides), runtime_factory=factory)
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def test_statuses_come_from_what_each_route_depends_on(settings: Any) -> None:
    document = create_app(settings.model_copy(update={"api_keys": "k-oa"})).openapi()
    assert _errors_of(document, "POST", "/v1/decide") == {400, 401, 413, 415, 422, 503}
    assert _errors_of(document, "GET", "/v1/decisions/{decision_id}") == {401, 404, 422, 503}
    assert _errors_of(document, "POST", "/v1/feedback") == {400, 401, 404, 413, 415, 422, 503}
    assert _errors_of(document, "GET", "/v1/policies") == {401}
    assert _errors_of(document, "POST", "/v1/policies/reload") == {401, 413, 415}
    assert _errors_of(document, "GET", "/healthz") == set()


def test_publishable_keys_and_a_rate_limit_add_403_and_429(settings: Any) -> None:
    scoped = settings.model_copy(update={"api_keys": "secret:sk-oa,publishable:pk-oa", "rate_limit_rps": 5})
    document = create_app(scoped).openapi()
    assert _errors_of(document, "POST", "/v1/decide") == {400, 401, 403, 413, 415, 422, 429, 503}
    assert _errors_of(document, "GET", "/healthz") == set()
    retry = document["paths"]["/v1/decide"]["post"]["responses"]["429"]
    assert "Retry-After" in retry.get("headers", {})


def test_every_error_response_is_the_error_body_with_its_code(settings: Any) -> None:
    document = create_app(settings.model_copy(update={"api_keys": "k-oa"})).openapi()
    components = document["components"]
    assert {"ErrorBody", "ErrorDetail", "FieldError"} <= set(components["schemas"])
    assert "HTTPValidationError" not in components["schemas"]
    checked = 0
    for _, _, operation in _operations(document):
        for status, response in operation["responses"].items():
            if status < "400":
                continue
            schema = response["content"]["application/json"]["schema"]
            assert schema["allOf"] == [{"$ref": "#/components/schemas/ErrorBody"}]
            assert schema["properties"]["error"]["properties"]["code"] == {"const": ERRORS[int(status)].code}
            assert ERRORS[int(status)].code in response["description"]
            checked += 1
    assert checked >= 20


def test_the_security_scheme_is_published_only_when_keys_are_configured(settings: Any) -> None:
    open_document = create_app(settings).openapi()
    assert "securitySchemes" not in open_document.get("components", {})
    assert all("security" not in operation for _, _, operation in _operations(open_document))
    assert all(401 not in _errors_of(open_document, m, p) for m, p, _ in _operations(open_document))

    keyed = create_app(settings.model_copy(update={"api_keys": "k-oa"})).openapi()
    assert keyed["components"]["securitySchemes"] == {"HTTPBearer": {"type": "http", "scheme": "bearer"}}
    secured = {(m, p): op for m, p, op in _operations(keyed) if "security" in op}
    assert set(secured) == {
        ("POST", "/v1/decide"),
        ("GET", "/v1/decisions/{decision_id}"),
        ("POST", "/v1/feedback"),
        ("GET", "/v1/policies"),
        ("POST", "/v1/policies/reload"),
        ("GET", "/v1/reports/lift"),
        ("POST", "/v1/events"),
        ("DELETE", "/v1/subjects/{subject_id}"),
        ("PUT", "/v1/catalog/products/{product_id}"),
        ("DELETE", "/v1/catalog/products/{product_id}"),
        ("POST", "/v1/inventory"),
        ("POST", "/v1/stores"),
    }
    publishable = {
        ("POST", "/v1/decide"),
        ("POST", "/v1/feedback"),
        ("POST", "/v1/events"),
    }  # as the scope table (_scopes.py) says
    for route, operation in secured.items():
        scope = "publishable" if route in publishable else "secret"
        assert operation["security"] == [{"HTTPBearer": [scope]}], route
        assert operation["x-nextbest-scope"] == scope
        assert f"`{scope}` key" in operation["description"]


class _Note(BaseModel):
    text: str


_bearer = HTTPBearer(auto_error=False)
Credentials = Annotated[Any, Depends(_bearer)]


def test_a_new_route_gets_its_statuses_and_scope_without_declaring_them() -> None:
    """Scoped keys plug in through `AccessDoc`: the scope table, 403 for keyed routes, 429 even when open."""
    app = FastAPI()

    @app.put("/v1/notes/{note_id}")
    async def put_note(note_id: str, note: _Note, _: Credentials) -> dict[str, str]:
        return {"id": note_id, "text": note.text}

    @app.get("/v1/open")
    async def open_route() -> dict[str, str]:
        return {}

    scopes = {("PUT", "/v1/notes/{note_id}"): "publishable"}
    access = AccessDoc(
        keyed=True,
        scope_for=lambda method, path: scopes[(method, path)],
        keyed_statuses=frozenset({401, 403}),
        guarded_statuses=frozenset({429}),
    )
    install_openapi(app, access)
    document = app.openapi()
    assert _errors_of(document, "PUT", "/v1/notes/{note_id}") == {400, 401, 403, 404, 413, 415, 422, 429}
    assert document["paths"]["/v1/notes/{note_id}"]["put"]["security"] == [{"HTTPBearer": ["publishable"]}]
    assert _errors_of(document, "GET", "/v1/open") == set()
    assert app.openapi() is document  # built once, not rewritten on every call


def test_decide_links_to_its_decision_and_to_feedback(settings: Any) -> None:
    document = create_app(settings).openapi()
    ids = {(m, p): op["operationId"] for m, p, op in _operations(document)}
    links = document["paths"]["/v1/decide"]["post"]["responses"]["200"]["links"]
    assert links["GetDecision"] == {
        "operationId": ids[("GET", "/v1/decisions/{decision_id}")],
        "parameters": {"decision_id": "$response.body#/decision_id"},
    }
    assert links["RecordFeedback"]["operationId"] == ids[("POST", "/v1/feedback")]
    assert links["RecordFeedback"]["requestBody"] == {"decision_id": "$response.body#/decision_id"}


@pytest.mark.parametrize(
    ("method", "path", "route", "kwargs", "status"),
    [
        (
            "POST",
            "/v1/decide",
            "/v1/decide",
            {"content": b"{not json", "headers": JSON},
            400,
        ),
        ("POST", "/v1/decide", "/v1/decide", {"json": {"event": EVENT}}, 401),
        ("GET", "/v1/decisions/dec_nowhere", "/v1/decisions/{decision_id}", {}, 404),
        (
            "POST",
            "/v1/feedback",
            "/v1/feedback",
            {"content": b"x" * 300_000, "headers": JSON},
            413,
        ),
        (
            "POST",
            "/v1/policies/reload",
            "/v1/policies/reload",
            {"content": b"a=1", "headers": {"content-type": "text/plain"}},
            415,
        ),
        ("POST", "/v1/decide", "/v1/decide", {"json": {"event": {**EVENT, "user_id": None}}}, 422),
    ],
    ids=["invalid-json", "no-key", "unknown-decision", "too-large", "not-json", "no-identity"],
)
def test_what_the_server_sends_is_what_the_document_says(
    client_for: Any, method: str, path: str, route: str, kwargs: dict[str, Any], status: int
) -> None:
    client = client_for(api_keys="k-oa")
    sent = dict(kwargs)
    headers = {**sent.pop("headers", {}), **({} if status == 401 else {"Authorization": "Bearer k-oa"})}
    response = client.request(method, path, headers=headers, **sent)
    assert response.status_code == status, response.text
    document = client.get("/openapi.json").json()
    documented = document["paths"][route][method.lower()]["responses"][str(status)]
    schema = {**documented["content"]["application/json"]["schema"], "components": document["components"]}
    jsonschema.validate(response.json(), schema, cls=jsonschema.Draft202012Validator)
    for header in documented.get("headers", {}):
        assert header in response.headers
