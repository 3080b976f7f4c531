"""The HTTP baseline: a bare FastAPI endpoint that echoes the request body, served like the real API."""

from __future__ import annotations

from fastapi import FastAPI, Request, Response

app = FastAPI()


@app.post("/v1/decide")
async def decide(request: Request) -> Response:
    return Response(await request.body(), media_type="application/json")


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}
