"""The model's connection pool: sized as asked, spread over shards, and usable by OpenAIChatModel."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

import httpx2
import pytest

from agent.model import ModelConfig, ModelRequest, OpenAIChatModel, ShardedTransport, model_http_client
from benchmarks.fake_openai_server import start_fake_server
from nextbest.settings import OutputMode


@pytest.mark.parametrize(
    ("wanted", "shard_size", "shards", "total"),
    [(1, 64, 1, 1), (64, 64, 1, 64), (65, 64, 2, 66), (1000, 64, 16, 1008), (100, 1000, 1, 100)],
)
def test_connections_are_split_into_shards_of_at_most_shard_size(
    wanted: int, shard_size: int, shards: int, total: int
) -> None:
    transport = ShardedTransport(wanted, shard_size=shard_size)
    assert len(transport.shards) == shards
    assert transport.max_connections == total
    assert total - wanted < shards  # rounding never adds a connection per shard or more


@pytest.mark.parametrize(("wanted", "shard_size"), [(0, 64), (10, 0)])
def test_an_empty_pool_is_refused(wanted: int, shard_size: int) -> None:
    with pytest.raises(ValueError, match="max_connections >= 1 and shard_size >= 1"):
        ShardedTransport(wanted, shard_size=shard_size)


async def test_concurrent_model_calls_go_through_every_shard() -> None:
    transport = ShardedTransport(12, shard_size=4)
    used: Counter[int] = Counter()
    for number, shard in enumerate(transport.shards):
        forward = shard.handle_async_request

        async def counted(request: httpx2.Request, number: int = number, forward: Any = forward) -> Any:
            used[number] += 1
            return await forward(request)

        shard.handle_async_request = counted  # type: ignore[method-assign]
    with start_fake_server(latency_ms=20, jitter_ms=0, seed=1) as base_url:
        client = model_http_client(max_connections=12, timeout_s=5.0, transport=transport)
        model = OpenAIChatModel(
            ModelConfig(model="fake", base_url=base_url, api_key="x", output_mode=OutputMode.JSON_SCHEMA),
            http_client=client,
        )
        messages = [{"role": "user", "content": "Decide."}]
        request = ModelRequest(messages=messages, deadline=time.monotonic() + 5)
        replies = await asyncio.gather(*(model.complete(request) for _ in range(12)))
        await client.aclose()
    assert all(reply.call.outcome == "ok" for reply in replies)
    assert used == Counter({0: 4, 1: 4, 2: 4})
