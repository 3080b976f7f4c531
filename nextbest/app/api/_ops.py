"""Operations routes: `/metrics` (Prometheus) and `/readyz` (are the ledger, catalog and model reachable?).

`/metrics` is public, like `/healthz`: scrapers usually carry no credentials, so serve it on an internal
interface or filter it at the proxy (README "Production"). It names no customer, only counts and latencies.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Annotated, Any

import httpx
from fastapi import Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse

from nextbest.app.bootstrap import Runtime
from nextbest.app.observability import DecisionMetrics, Observer, instrument
from nextbest.app.observability.metrics import CONTENT_TYPE
from nextbest.settings import Settings
from tools.catalog import CatalogFilter

__all__ = ["ObserverDep", "install_ops_routes", "instrument_runtime"]

PROBE_TIMEOUT_S = 2.0


async def get_observer(request: Request) -> Observer:
    observer: Observer = request.app.state.observer
    return observer


ObserverDep = Annotated[Observer, Depends(get_observer)]


def instrument_runtime(runtime: Runtime, observer: Observer) -> None:
    """Time and trace the runtime's ledger, catalog, model and tools (see `observability.instrument`)."""
    runtime.decider.ctx = instrument(runtime.decider.ctx, observer.metrics, observer.tracer)
    runtime.ledger = runtime.decider.ctx.ledger


async def _probe(check: Awaitable[Any]) -> str:
    try:
        await asyncio.wait_for(check, PROBE_TIMEOUT_S)
    except TimeoutError:
        return f"no answer within {PROBE_TIMEOUT_S:.0f} s"
    except Exception as exc:  # a probe reports any failure; it must never fail itself
        return f"{type(exc).__name__}: {exc}"[:200]
    return "ok"


async def _model_reachable(settings: Settings) -> None:
    base = (settings.openai_base_url or "https://api.openai.com/v1").rstrip("/")
    async with httpx.AsyncClient(timeout=PROBE_TIMEOUT_S) as client:
        await client.get(f"{base}/models")  # any HTTP answer means the server is there


async def _readiness(runtime: Runtime) -> dict[str, str]:
    checks: dict[str, str] = {"ledger": await _probe(runtime.ledger.find_by_event("readyz-probe"))}
    search = runtime.decider.ctx.tools.search
    if search is None:
        checks["catalog"] = "retrieval is not open"
    else:
        checks["catalog"] = await _probe(asyncio.to_thread(search.search, "readyz", CatalogFilter(in_stock=False), 1))
    if runtime.settings.model:
        checks["model"] = await _probe(_model_reachable(runtime.settings))
    return checks


def install_ops_routes(app: FastAPI) -> None:
    @app.get("/metrics", tags=["ops"], response_class=Response)
    async def metrics(request: Request) -> Response:
        registry: DecisionMetrics = request.app.state.observer.metrics
        return Response(registry.render(), media_type=CONTENT_TYPE)

    @app.get("/readyz", tags=["ops"], responses={503: {}})
    async def readyz(request: Request) -> JSONResponse:
        runtime: Runtime = request.app.state.runtime
        checks = await _readiness(runtime)
        failing = sorted(name for name, state in checks.items() if state != "ok")
        body = {"status": "ok" if not failing else "unavailable", "checks": checks, "failing": failing}
        return JSONResponse(body, status_code=503 if failing else 200)
