"""Every error the API returns is JSON naming what is wrong; never a stack trace, never a 500 for bad input."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Route

from nextbest.errors import NotFoundError, PolicyError, StoreError

from ._error_model import error_code

log = logging.getLogger(__name__)


def error_body(code: str, message: str, fields: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"error": {"code": code, "message": message}}
    if fields is not None:
        body["error"]["fields"] = fields
    return body


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    fields = []
    for error in exc.errors():
        location = [str(part) for part in error.get("loc", ()) if part != "body"]
        fields.append(
            {"field": ".".join(location) or "body", "message": error.get("msg", ""), "type": error.get("type", "")}
        )
    return fields


def _json_error(exc: RequestValidationError) -> dict[str, Any]:
    """Line, column and an excerpt for FastAPI's json_invalid error, whose loc holds the character offset."""
    error = next(e for e in exc.errors() if e.get("type") == "json_invalid")
    offset = next((part for part in error.get("loc", ()) if isinstance(part, int)), 0)
    body = exc.body
    document = body.decode(errors="replace") if isinstance(body, bytes) else body if isinstance(body, str) else ""
    line = document.count("\n", 0, offset) + 1
    column = offset - (document.rfind("\n", 0, offset) + 1) + 1
    excerpt = document[max(0, offset - 20) : offset + 20].replace("\n", " ")
    reason = error.get("ctx", {}).get("error", "invalid JSON")
    message = f"line {line}, column {column}: {reason} near {excerpt!r}"
    return {"field": "body", "message": message, "type": "json_invalid", "line": line, "column": column}


async def _validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    if any(error.get("type") == "json_invalid" for error in exc.errors()):
        field = _json_error(exc)
        message = f"the body is not valid JSON: {field['message']}"
        return JSONResponse(error_body("invalid_json", message, [field]), status_code=400)
    fields = _field_errors(exc)
    return JSONResponse(error_body("invalid_request", "the request does not match the schema", fields), status_code=422)


def _allowed(request: Request) -> str:
    """Every method some route takes at this path: Starlette's 405 names only the first route's (one path may
    have a route per method, as `PUT` and `DELETE /v1/catalog/products/{id}` do)."""
    methods: set[str] = set()
    for route in request.app.routes:
        if isinstance(route, Route) and route.methods and route.matches(request.scope)[0] is not Match.NONE:
            methods |= route.methods
    return ", ".join(sorted(methods))


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    headers = getattr(exc, "headers", None)
    if exc.status_code == 405:
        headers = {**(headers or {}), "Allow": _allowed(request)}
    return JSONResponse(
        error_body(error_code(exc.status_code), str(exc.detail)), status_code=exc.status_code, headers=headers
    )


async def _not_found(_: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(error_body(error_code(404), str(exc)), status_code=404)


async def _store(_: Request, exc: Exception) -> JSONResponse:
    log.error("store unavailable: %s", exc)
    return JSONResponse(
        error_body(error_code(503), "the contact ledger is unavailable; retry shortly"),
        status_code=503,
        headers={"Retry-After": "1"},
    )


async def _policy(_: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(error_body(error_code(409), str(exc)), status_code=409)


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error", exc_info=exc)
    return JSONResponse(error_body("internal_error", "unexpected error; it has been logged"), status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(NotFoundError, _not_found)
    app.add_exception_handler(StoreError, _store)
    app.add_exception_handler(PolicyError, _policy)
    app.add_exception_handler(Exception, _unexpected)
