"""`nextbest consume`: decide the events of a Redis Stream until SIGTERM or SIGINT, then drain and exit 0."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from redis.exceptions import RedisError

from nextbest.errors import NextbestError
from nextbest.settings import Settings

from ._output import fail, note

__all__ = ["consume"]

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


async def _consume(settings: Settings, url: str, concurrency: int, options: dict[str, Any]) -> str:
    from nextbest.app.bootstrap import open_runtime
    from nextbest.app.stream import RedisStreamSource, StreamConsumer

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    runtime = await open_runtime(settings)
    try:
        source = await RedisStreamSource.open(url, **options)
        try:
            note(f"consuming {options['stream']} as {options['group']}/{options['consumer']}")
            stats = await StreamConsumer(source, runtime.decider.decide, concurrency=concurrency).run(stop)
        finally:
            await source.close()
    finally:
        await runtime.aclose()
    return stats.summary()


def consume(
    redis_stream: Annotated[str, typer.Option("--redis-stream", help="The stream to read events from")],
    group: Annotated[str, typer.Option(help="Consumer group (created at the stream's start when missing)")],
    consumer: Annotated[str | None, typer.Option(help="This consumer's name; default host-pid")] = None,
    out_stream: Annotated[str | None, typer.Option(help="Where decisions go; default KEY:decisions")] = None,
    dead_letter: Annotated[str | None, typer.Option(help="Where bad messages go; default KEY:dead")] = None,
    concurrency: Annotated[int, typer.Option(min=1, max=10_000, help="Decisions in flight at once")] = 16,
    field: Annotated[str, typer.Option(help="The message field holding the DecideRequest JSON")] = "request",
    redis_url: Annotated[str | None, typer.Option(help="Default: NEXTBEST_REDIS_URL, else local")] = None,
    claim_idle_ms: Annotated[
        int, typer.Option(min=1, help="Take over other consumers' entries pending this long")
    ] = 60_000,
    log_level: Annotated[str, typer.Option(help="Log level")] = "warning",
) -> None:
    """Decide each event of a Redis Stream; publish the decision, ack only after it is committed."""
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings()
    except ValidationError as exc:
        fail(f"invalid settings: {exc}")
    options: dict[str, Any] = {
        "stream": redis_stream,
        "group": group,
        "consumer": consumer or f"{socket.gethostname()}-{os.getpid()}",
        "out_stream": out_stream or f"{redis_stream}:decisions",
        "dead_stream": dead_letter or f"{redis_stream}:dead",
        "field": field,
        "claim_idle_ms": claim_idle_ms,
    }
    url = redis_url or settings.redis_url or DEFAULT_REDIS_URL
    try:
        summary = asyncio.run(_consume(settings, url, concurrency, options))
    except NextbestError as exc:
        fail(str(exc))
    except RedisError as exc:
        fail(f"Redis at {url}: {exc}")
    note(f"stopped: {summary}")
