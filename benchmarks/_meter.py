"""A transport that counts model calls and the prompt tokens the server reports: one yardstick for
nextbest and the ReAct baseline alike. It wraps the transport the service itself would use."""

from __future__ import annotations

from dataclasses import dataclass

import httpx2
import orjson

from ._fake_openai import MODEL_MS_HEADER

__all__ = ["MeteredTransport", "Tally"]


@dataclass
class Tally:
    calls: int = 0
    prompt_tokens: int = 0
    model_ms: float = 0.0
    """What the fake server reports it spent per call (its `x-fake-model-ms`), summed."""


class MeteredTransport(httpx2.AsyncBaseTransport):
    def __init__(self, inner: httpx2.AsyncBaseTransport) -> None:
        self.inner = inner
        self.tally = Tally()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        response = await self.inner.handle_async_request(request)
        if request.url.path.endswith("/chat/completions"):
            self.tally.calls += 1
            self.tally.model_ms += float(response.headers.get(MODEL_MS_HEADER, 0.0))
            body = await response.aread()
            try:
                usage = orjson.loads(body).get("usage") or {}
                self.tally.prompt_tokens += int(usage.get("prompt_tokens") or 0)
            except (orjson.JSONDecodeError, AttributeError, TypeError, ValueError):
                pass
            return httpx2.Response(response.status_code, headers=response.headers, content=body, request=request)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()
