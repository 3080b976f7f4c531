"""The HTTP load generator, run as its own process: raw asyncio HTTP/1.1 with keep-alive, open or closed loop.

    python -m benchmarks._loadgen --port P --bodies FILE (--rate R | --concurrency C | --burst N) --seconds S

FILE is a JSON list of request bodies holding the placeholder __EVENT_ID__, replaced by a unique id per
request so idempotency never short-circuits. Open-loop latency counts from the scheduled send time, so a
slow server cannot hide its queueing (no coordinated omission). A burst sends N requests at once, each on its
own connection, and times them until the last answer (`--seconds` is then unused). Prints one JSON object on
stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import count
from typing import Any

PLACEHOLDER = b"__EVENT_ID__"


@dataclass
class _Tally:
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    sent: int = 0
    by_llm: int = 0
    """Answers whose body says the model decided (`"decided_by":"llm"`)."""


class _Client:
    """A keep-alive connection pool speaking just enough HTTP/1.1 for JSON POSTs."""

    def __init__(self, port: int, path: str, bodies: Sequence[bytes], prefix: str) -> None:
        self._port = port
        self._head = f"POST {path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n".encode()
        self._bodies = bodies
        self._prefix = prefix.encode()
        self._ids = count()
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    def _next_body(self) -> bytes:
        number = next(self._ids)
        body = self._bodies[number % len(self._bodies)]
        return body.replace(PLACEHOLDER, self._prefix + str(number).encode())

    async def post(self) -> tuple[int, bytes]:
        body = self._next_body()
        conn = self._idle.pop() if self._idle else await asyncio.open_connection("127.0.0.1", self._port)
        reader, writer = conn
        try:
            writer.write(self._head + b"content-length: %d\r\n\r\n" % len(body) + body)
            status = int((await reader.readline()).split()[1])
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            body = await reader.readexactly(length)
        except BaseException:
            writer.close()
            raise
        self._idle.append(conn)
        return status, body

    async def close(self) -> None:
        for _, writer in self._idle:
            writer.close()


async def _one(client: _Client, tally: _Tally, scheduled: float) -> None:
    tally.sent += 1
    try:
        status, body = await client.post()
    except (OSError, ValueError, IndexError, asyncio.IncompleteReadError):
        status, body = 0, b""
    if status == 200:
        tally.latencies_ms.append((time.perf_counter() - scheduled) * 1000)
        tally.by_llm += b'"decided_by":"llm"' in body
    else:
        tally.errors += 1


async def open_loop(client: _Client, rate: float, seconds: float) -> tuple[_Tally, float]:
    tally, tasks = _Tally(), set()
    total = max(1, int(rate * seconds))
    start = time.perf_counter()
    for number in range(total):
        scheduled = start + number / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(_one(client, tally, scheduled))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)
    return tally, time.perf_counter() - start


async def closed_loop(client: _Client, concurrency: int, seconds: float) -> tuple[_Tally, float]:
    tally = _Tally()
    start = time.perf_counter()
    stop = start + seconds

    async def worker() -> None:
        while time.perf_counter() < stop:
            await _one(client, tally, time.perf_counter())

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return tally, time.perf_counter() - start


async def burst(client: _Client, count: int) -> tuple[_Tally, float]:
    tally = _Tally()
    start = time.perf_counter()
    await asyncio.gather(*(_one(client, tally, start) for _ in range(count)))
    return tally, time.perf_counter() - start


async def run(args: argparse.Namespace, bodies: Sequence[bytes]) -> dict[str, Any]:
    client = _Client(args.port, args.path, bodies, f"{args.prefix}-")
    # Warm up connections and the server's caches outside the measured window.
    # A closed loop warms as many connections as it will measure with, so none is opened inside the window.
    await closed_loop(client, 4 if args.rate or args.burst else args.concurrency, args.warmup)
    cpu_before = os.times()
    if args.burst:
        tally, elapsed = await burst(client, args.burst)
    elif args.rate:
        tally, elapsed = await open_loop(client, args.rate, args.seconds)
    else:
        tally, elapsed = await closed_loop(client, args.concurrency, args.seconds)
    cpu_after = os.times()
    await client.close()
    cpu = (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
    return {
        "sent": tally.sent,
        "ok": len(tally.latencies_ms),
        "errors": tally.errors,
        "by_llm": tally.by_llm,
        "seconds": elapsed,
        "throughput": len(tally.latencies_ms) / elapsed if elapsed else 0.0,
        "generator_cpu_share": cpu / elapsed if elapsed else 0.0,
        "latencies_ms": tally.latencies_ms,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks._loadgen")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/v1/decide")
    parser.add_argument("--bodies", required=True)
    parser.add_argument("--rate", type=float, default=0.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--burst", type=int, default=0, help="Send this many requests at once, then stop")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=0.5)
    parser.add_argument("--prefix", default="bench")
    args = parser.parse_args()
    with open(args.bodies, encoding="utf-8") as handle:
        bodies = [body.encode() for body in json.load(handle)]
    print(json.dumps(asyncio.run(run(args, bodies))), flush=True)


if __name__ == "__main__":
    main()
