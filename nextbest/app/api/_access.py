"""Request ids on every request, and the access log: with `NEXTBEST_ACCESS_LOG=true`, one info line per
request (method, path, status, latency, request id), never the body. Off by default: a line formatted and
written per request is time on every request, and the decision's own log line already names each decision."""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["REQUEST_ID_HEADER", "AccessLog", "arrived_at", "request_id_of"]

REQUEST_ID_HEADER = "X-Request-Id"
_ACCEPTED_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
log = logging.getLogger("nextbest.access")
_SCOPE_KEY = "nextbest.request_id"
_ARRIVED_KEY = "nextbest.arrived"


def request_id_of(scope: Scope) -> str | None:
    """The request id `AccessLog` gave this request, for log lines written further in."""
    value = scope.get(_SCOPE_KEY)
    return value if isinstance(value, str) else None


def arrived_at(scope: Scope) -> float | None:
    """When the request reached the app (`time.monotonic()`), stamped before its body was read: the start
    of the request's deadline."""
    value = scope.get(_ARRIVED_KEY)
    return value if isinstance(value, float) else None


class AccessLog:
    """Outermost middleware: keeps a caller's well-formed `X-Request-Id` or makes one, and echoes it;
    writes the access line when `log_lines`."""

    def __init__(self, app: ASGIApp, *, log_lines: bool = False) -> None:
        self.app = app
        self.log_lines = log_lines

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope[_ARRIVED_KEY] = time.monotonic()
        started = time.perf_counter()
        presented = dict(scope["headers"]).get(REQUEST_ID_HEADER.lower().encode(), b"").decode("latin-1")
        request_id = presented if _ACCEPTED_ID.fullmatch(presented) else uuid.uuid4().hex
        scope[_SCOPE_KEY] = request_id
        status = 500  # what the server answers when the app fails before it starts a response

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).append(REQUEST_ID_HEADER, request_id)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if self.log_lines:
                _log_line(scope, status, started, request_id)


def _log_line(scope: Scope, status: int, started: float, request_id: str) -> None:
    latency_ms = (time.perf_counter() - started) * 1000
    log.info(
        "%s %s %d %.1fms request_id=%s",
        scope["method"],
        scope["path"],
        status,
        latency_ms,
        request_id,
        extra={
            "method": scope["method"],
            "path": scope["path"],
            "status": status,
            "latency_ms": round(latency_ms, 3),
            "request_id": request_id,
        },
    )
