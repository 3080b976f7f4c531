"""The OpenAPI document tells the truth: what each route returns is derived here, in one place, from what it
depends on, so a new route cannot forget a status.

| a route that …                          | may also answer                                 |
|-----------------------------------------|-------------------------------------------------|
| depends on a key (a security scheme)    | 401 when keys are configured, plus `AccessDoc`'s |
| is a POST/PUT/PATCH (`BodyGuard`)       | 413, 415                                        |
| takes a JSON body                       | 400, 422                                        |
| takes path parameters (a lookup)        | 404, 422                                        |
| takes query/header/cookie parameters    | 422                                             |
| declares `responses={status: {}}`       | that status (what its handler raises itself)    |

Every such response carries the error body (`ErrorBody`) with its one `error.code` (see `_error_model.ERRORS`).
The security scheme is published only when keys are configured, with the scope each route needs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security.base import SecurityBase

from nextbest.settings import Settings

from ._error_model import ERRORS, ErrorBody
from ._scopes import scope_for

__all__ = ["LINKS", "AccessDoc", "install_openapi", "route_statuses"]

BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_SCHEMAS = "#/components/schemas/"
_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")


def scope_name(method: str, path: str) -> str:
    """The scope a route needs, from the one scope table (`_scopes.ROUTE_SCOPES`)."""
    return scope_for(method, path).value


@dataclass(frozen=True, slots=True)
class AccessDoc:
    """What the spec says about access. Scoped keys plug in here: `scope_for` names the scope a route needs,
    `keyed_statuses` what a keyed route may answer (401, and 403 once keys have scopes), `guarded_statuses`
    what a keyed route may answer even when auth is off (429 from a per-caller rate limit)."""

    keyed: bool
    scope_for: Callable[[str, str], str] = scope_name
    keyed_statuses: frozenset[int] = frozenset({401})
    guarded_statuses: frozenset[int] = field(default_factory=frozenset)

    @classmethod
    def from_settings(cls, settings: Settings) -> AccessDoc:
        """Keyed when keys are configured: 401 without one, 403 when publishable keys exist (a call beyond the
        key's scope or surfaces); 429 whenever a rate is set."""
        publishable = any(scope == "publishable" for scope, _ in settings.scoped_api_keys)
        return cls(
            keyed=bool(settings.scoped_api_keys),
            keyed_statuses=frozenset({401, 403}) if publishable else frozenset({401}),
            guarded_statuses=frozenset({429}) if settings.rate_limit_rps > 0 else frozenset(),
        )


@dataclass(frozen=True, slots=True)
class Link:
    """An OpenAPI link from one operation's 200 to another: how a client (and schemathesis) chains calls."""

    name: str
    target: tuple[str, str]
    parameters: dict[str, str] = field(default_factory=dict)
    request_body: dict[str, str] | None = None


# decide → the stored decision → feedback on it: the stateful road schemathesis walks.
LINKS: dict[tuple[str, str], tuple[Link, ...]] = {
    ("POST", "/v1/decide"): (
        Link("GetDecision", ("GET", "/v1/decisions/{decision_id}"), {"decision_id": "$response.body#/decision_id"}),
        Link("RecordFeedback", ("POST", "/v1/feedback"), request_body={"decision_id": "$response.body#/decision_id"}),
    ),
}


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _dependants(sub)


def needs_key(route: APIRoute) -> bool:
    """Whether the route depends (at any depth) on a security scheme."""
    return any(isinstance(dep.call, SecurityBase) for dep in _dependants(route.dependant))


def _declared(route: APIRoute) -> set[int]:
    return {int(status) for status in route.responses if str(status).isdigit() and int(status) >= 400}


def route_statuses(route: APIRoute, access: AccessDoc) -> set[int]:
    """Every error status the route can answer, from what it depends on (see the module's table)."""
    statuses = _declared(route)
    deps = list(_dependants(route.dependant))
    if needs_key(route):
        statuses |= access.guarded_statuses | (access.keyed_statuses if access.keyed else set())
    if (route.methods or set()) & BODY_METHODS:
        statuses |= {413, 415}
    if route.body_field is not None:
        statuses |= {400, 422}
    if any(dep.path_params for dep in deps):
        statuses |= {404, 422}
    if any(dep.query_params or dep.header_params or dep.cookie_params for dep in deps):
        statuses.add(422)
    return statuses


def error_response(status: int) -> dict[str, Any]:
    """The documented error response of one status: the error body with its one code, and its headers."""
    kind = ERRORS[status]
    detail: dict[str, Any] = {"properties": {"code": {"const": kind.code}}}
    if status == 422:
        detail["required"] = ["fields"]
    schema = {"allOf": [{"$ref": _SCHEMAS + "ErrorBody"}], "properties": {"error": detail}}
    response: dict[str, Any] = {
        "description": f"`{kind.code}`: {kind.description}",
        "content": {"application/json": {"schema": schema}},
    }
    if kind.headers:
        response["headers"] = {name: {"required": True, "schema": {"type": "string"}} for name in kind.headers}
    return response


def _error_components(document: dict[str, Any]) -> None:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    error_schema = ErrorBody.model_json_schema(ref_template=_SCHEMAS + "{model}")
    schemas.update(error_schema.pop("$defs", {}))
    schemas["ErrorBody"] = error_schema
    for name in _VALIDATION_SCHEMAS:  # FastAPI's own 422 body, which this API never sends
        schemas.pop(name, None)


def _security(operation: dict[str, Any], route: APIRoute, method: str, access: AccessDoc) -> None:
    if not access.keyed or not needs_key(route):
        operation.pop("security", None)
        return
    scope = access.scope_for(method, route.path_format)
    operation["security"] = [{name: [scope]} for entry in operation.get("security", []) for name in entry]
    operation["x-nextbest-scope"] = scope
    wider = " (or a `secret` key, which may call everything)" if scope != "secret" else ""
    note = f"Needs a `{scope}` key{wider}: `Authorization: Bearer <key>`."
    operation["description"] = f"{operation['description']}\n\n{note}" if operation.get("description") else note


def _links(operation: dict[str, Any], links: tuple[Link, ...], ids: dict[tuple[str, str], str]) -> None:
    published = operation["responses"]["200"].setdefault("links", {})
    for link in links:
        entry: dict[str, Any] = {"operationId": ids[link.target]}
        if link.parameters:
            entry["parameters"] = link.parameters
        if link.request_body is not None:
            entry["requestBody"] = link.request_body
        published[link.name] = entry


def _api_routes(app: FastAPI) -> Iterator[tuple[str, APIRoute]]:
    for route in app.routes:
        if isinstance(route, APIRoute) and route.include_in_schema:
            for method in sorted(route.methods or ()):
                yield method, route


def tell_the_truth(app: FastAPI, document: dict[str, Any], access: AccessDoc) -> None:
    """Rewrite FastAPI's document in place: error responses, security and links, route by route."""
    _error_components(document)
    operations = {(m, r.path_format): document["paths"][r.path_format][m.lower()] for m, r in _api_routes(app)}
    ids = {key: operation["operationId"] for key, operation in operations.items()}
    for method, route in _api_routes(app):
        operation = operations[(method, route.path_format)]
        responses = operation.setdefault("responses", {})
        for status in sorted(route_statuses(route, access)):
            responses[str(status)] = error_response(status)
        _security(operation, route, method, access)
        if links := LINKS.get((method, route.path_format)):
            _links(operation, links, ids)
    if not access.keyed:
        document.get("components", {}).pop("securitySchemes", None)


def install_openapi(app: FastAPI, access: AccessDoc) -> None:
    """Serve the truthful document at /openapi.json (built once per set of routes, like FastAPI's own)."""
    generate = app.openapi
    told: list[int] = []

    def openapi() -> dict[str, Any]:
        document = generate()
        if told != [id(document)]:
            tell_the_truth(app, document, access)
            told[:] = [id(document)]
        return document

    app.openapi = openapi  # type: ignore[method-assign]
