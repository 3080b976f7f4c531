"""The HTTP API: `create_app(settings)` builds a FastAPI app around one wired runtime."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import BackgroundTasks, Depends, FastAPI, Header, HTTPException, Request, Response
from fastapi_offline import FastAPIOffline

from agent.deadline import ReserveMeter
from nextbest.app.bootstrap import Runtime, open_runtime, settle_heap
from nextbest.app.observability import DecisionMetrics, Observer, tracer_from_env
from nextbest.contracts import DecideRequest, Decision, FeedbackRequest, FeedbackResponse
from nextbest.settings import Settings

from ._access import AccessLog, arrived_at, request_id_of
from ._cors import install_cors
from ._errors import error_body, install_error_handlers
from ._identity import USER_HASH_HEADER, admit
from ._middleware import BodyGuard
from ._openapi import AccessDoc, install_openapi
from ._ops import ObserverDep, install_ops_routes, instrument_runtime
from ._replay import mark_replay
from ._reports import install_report_routes
from ._scopes import Access, PrincipalDep, authorize
from ._subjects import install_subject_routes
from ._writes import install_write_routes

__all__ = ["create_app"]

log = logging.getLogger(__name__)

RuntimeFactory = Callable[[Settings], Awaitable[Runtime]]


# The dependencies are `async def` though they never await: FastAPI runs a plain `def` dependency in a
# worker thread, two thread hops per request (17% of the server's time in a profile of /v1/decide).
async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


Authorized = Depends(authorize)  # the scope each route needs: _scopes.ROUTE_SCOPES


def _lifespan(settings: Settings, factory: RuntimeFactory, *, tune_gc: bool) -> Callable[[FastAPI], Any]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = await factory(settings)
        instrument_runtime(runtime, app.state.observer)
        app.state.runtime = runtime
        if tune_gc:
            settle_heap()
        if not settings.api_key_set:
            log.warning("NEXTBEST_API_KEYS is not set: the API accepts unauthenticated requests")
        stop = asyncio.Event()
        watcher = asyncio.create_task(runtime.policies.watch(stop)) if settings.policy_watch else None
        try:
            yield
        finally:
            stop.set()
            if watcher is not None:
                await asyncio.gather(watcher, return_exceptions=True)
            await runtime.aclose()

    return lifespan


def create_app(
    settings: Settings | None = None, *, runtime_factory: RuntimeFactory | None = None, tune_gc: bool = False
) -> FastAPI:
    """The API around one runtime; `tune_gc` settles the heap once it is open (see `settle_heap`), which
    only a process that serves and nothing else should ask for."""
    settings = settings or Settings()
    app = FastAPIOffline(  # /docs and /redoc from the package's own copy of their assets, no CDN
        title="nextbest",
        version="0.1.0",
        summary="Real-time next-best-action decisions with code guardrails and a deterministic fallback.",
        lifespan=_lifespan(settings, runtime_factory or open_runtime, tune_gc=tune_gc),
    )
    app.state.access = Access.from_settings(settings)
    app.state.observer = Observer(DecisionMetrics(), tracer_from_env())
    install_error_handlers(app)
    app.add_middleware(BodyGuard, max_bytes=settings.max_body_bytes)
    install_cors(app, settings)
    app.add_middleware(AccessLog, log_lines=settings.access_log)  # added last: the outermost, sees every answer
    _routes(app)
    install_subject_routes(app)
    install_ops_routes(app)
    install_report_routes(app)
    install_write_routes(app)
    install_openapi(app, AccessDoc.from_settings(settings))
    return app


def _routes(app: FastAPI) -> None:
    @app.get("/healthz", tags=["ops"])
    async def healthz(runtime: RuntimeDep) -> dict[str, Any]:
        return {
            "status": "ok",
            "policy_version": runtime.policies.current().version,
            "model": runtime.settings.model,
            "ledger": type(runtime.ledger).__name__,
            "data_version": runtime.data.version,  # the retail data this worker serves (README "Live changes")
            "worker": os.getpid(),
        }

    @app.get("/v1/schema", tags=["contracts"])
    async def schema() -> dict[str, Any]:
        return {
            "request": DecideRequest.model_json_schema(),
            "decision": Decision.model_json_schema(),
            "feedback": FeedbackRequest.model_json_schema(),
        }

    @app.post(
        "/v1/decide",
        response_model=Decision,
        tags=["decisions"],
        responses={503: {}},  # the rest is derived from the route: _openapi.route_statuses
    )
    async def decide(
        body: DecideRequest,
        runtime: RuntimeDep,
        observer: ObserverDep,
        principal: PrincipalDep,
        request: Request,
        response: Response,
        background: BackgroundTasks,
        user_hash: Annotated[str | None, Header(alias=USER_HASH_HEADER)] = None,
    ) -> Decision:
        admitted = admit(body, principal, user_hash, runtime.settings.identity_secret)
        arrived = arrived_at(request.scope)
        decision = await observer.decide(
            runtime.decider, admitted, request_id=request_id_of(request.scope), arrived=arrived
        )
        decided = time.monotonic()
        if arrived is not None:  # how long the server held the request, for a client to tell from the network
            response.headers["Server-Timing"] = f"decide;dur={(decided - arrived) * 1000:.1f}"
        # runs once the response is sent: the reply's cost, which the next deadlines' reserve keeps back
        background.add_task(_replied, runtime.decider.reserve, decided)
        return mark_replay(decision, response)

    @app.get(
        "/v1/decisions/{decision_id}",
        response_model=Decision,
        dependencies=[Authorized],
        tags=["decisions"],
        responses={503: {}},
    )
    async def get_decision(decision_id: str, runtime: RuntimeDep) -> Decision:
        decision = await runtime.ledger.get_decision(decision_id)
        if decision is None:
            raise HTTPException(404, f"unknown decision {decision_id!r}")
        return decision

    @app.post(
        "/v1/feedback",
        response_model=FeedbackResponse,
        dependencies=[Authorized],
        tags=["decisions"],
        responses={404: {}, 503: {}},
    )
    async def feedback(body: FeedbackRequest, runtime: RuntimeDep) -> FeedbackResponse:
        return await runtime.decider.feedback(
            body.decision_id, body.outcome, body.occurred_at, value=body.value, currency=body.currency
        )

    @app.get("/v1/policies", dependencies=[Authorized], tags=["policies"])
    async def policies(runtime: RuntimeDep) -> dict[str, Any]:
        return _policy_view(runtime)

    @app.post("/v1/policies/reload", dependencies=[Authorized], tags=["policies"])
    async def reload(runtime: RuntimeDep) -> dict[str, Any]:
        runtime.policies.reload()
        return _policy_view(runtime)


async def _replied(meter: ReserveMeter, decided: float) -> None:  # async: no worker-thread hop
    meter.record_reply(time.monotonic() - decided)


def _policy_view(runtime: Runtime) -> dict[str, Any]:
    current = runtime.policies.current()
    status = runtime.policies.status
    return {
        "version": current.version,
        "loaded_at": status.loaded_at.isoformat(),
        "root": str(current.root),
        "files": sorted(current.files),
        "playbooks": [
            {"id": p.id, "title": p.title, "priority": p.priority, "enabled": p.enabled} for p in current.playbooks
        ],
        "last_error": error_body("policy_error", status.error)["error"] if status.error else None,
    }
