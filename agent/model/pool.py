"""The model's HTTP client, built for many decisions in flight at once.

It is an `httpx2` client, the one the openai SDK speaks natively, whose connection pool stays linear where
httpx's (httpcore 1.x) goes quadratic: for every idle connection it counts all idle connections again.
Even httpcore2 re-examines every connection of a pool (expiry, and a socket poll for each idle one) each
time a request starts or a response closes, so one pool of 1,000 connections costs O(1,000) per call.
Profiled with 1,000 decisions in flight on a 1 s model: httpx 5.5 s of 16 s CPU in the pool, one httpx2
pool 2.7 s of 10 s, pools of 64 connections too little to show. Hence `ShardedTransport`.
"""

from __future__ import annotations

import itertools
import math

import httpx
import httpx2

__all__ = ["SHARD_SIZE", "HttpClient", "ShardedTransport", "model_http_client"]

SHARD_SIZE = 64

HttpClient = httpx.AsyncClient | httpx2.AsyncClient
"""What `OpenAIChatModel` accepts: httpx2 in production, plain httpx where respx intercepts it in tests."""


class ShardedTransport(httpx2.AsyncBaseTransport):
    """Requests spread round-robin over pools of at most `shard_size` connections, `max_connections` in all."""

    def __init__(self, max_connections: int, *, shard_size: int = SHARD_SIZE) -> None:
        if max_connections < 1 or shard_size < 1:
            raise ValueError(f"need max_connections >= 1 and shard_size >= 1, got {max_connections}, {shard_size}")
        count = math.ceil(max_connections / shard_size)
        per_shard = math.ceil(max_connections / count)
        limits = httpx2.Limits(max_connections=per_shard, max_keepalive_connections=per_shard)
        context = httpx2.create_ssl_context()  # loading the CA bundle once, not once per shard (~35 ms each)
        self.shards = tuple(httpx2.AsyncHTTPTransport(verify=context, limits=limits) for _ in range(count))
        self.max_connections = per_shard * count
        self._next = itertools.cycle(self.shards)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        return await next(self._next).handle_async_request(request)

    async def aclose(self) -> None:
        for shard in self.shards:
            await shard.aclose()


def model_http_client(
    *, max_connections: int, timeout_s: float, transport: httpx2.AsyncBaseTransport | None = None
) -> httpx2.AsyncClient:
    """The client `OpenAIChatModel` sends through; `transport` defaults to a `ShardedTransport`.

    The SDK bounds each call by the request's deadline; `timeout_s` only covers calls made without one.
    """
    return httpx2.AsyncClient(transport=transport or ShardedTransport(max_connections), timeout=timeout_s)
