"""Figures 9 and 10 without servers: how results are judged, the flight's bodies, the generator's burst."""

from __future__ import annotations

import asyncio
import json

from benchmarks import _loadgen
from benchmarks.http import PLACEHOLDER
from benchmarks.scaling import SCALING_TARGET, ScalingPlan, _flight_bodies, _scaling_results


def _run(throughput: float, errors: int = 0) -> dict[str, float]:
    return {"throughput": throughput, "errors": errors, "generator_cpu_share": 0.4}


def test_two_workers_meet_the_target_only_at_its_ratio_and_without_errors() -> None:
    plan = ScalingPlan(runs=3)
    one = [_run(410), _run(395), _run(430)]
    results = {r.name: r for r in _scaling_results("sqlite", one, [_run(640), _run(612), _run(655)], plan)}
    two = results["scaling.sqlite.workers2.throughput"]
    assert (two.value, two.baseline, two.met) == (640, 410, True)
    assert two.ratio is not None and two.ratio >= SCALING_TARGET
    short = _scaling_results("redis", one, [_run(600), _run(598), _run(611)], plan)[1]
    assert short.met is False and short.name == "scaling.redis.workers2.throughput"
    failing = _scaling_results("redis", one, [_run(900), _run(880, errors=3), _run(870)], plan)[1]
    assert failing.met is False and failing.extra["errors"] == 3


def test_flight_bodies_leave_the_deadline_to_the_server_and_stay_unique() -> None:
    bodies = [json.loads(body) for body in _flight_bodies()]
    assert bodies and all("deadline_ms" not in body for body in bodies)
    assert all(PLACEHOLDER in body["event"]["event_id"] for body in bodies)


async def test_a_burst_sends_every_request_at_once_and_counts_the_models_answers() -> None:
    served = 0
    in_flight = 0
    most = 0
    release = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal served, in_flight, most
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        await reader.readexactly(length)
        in_flight += 1
        most = max(most, in_flight)
        if most == 12:
            release.set()
        await release.wait()  # nobody is answered until all twelve are waiting
        served += 1
        body = b'{"decided_by":"llm"}' if served % 3 else b'{"decided_by":"rules"}'
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % len(body) + body)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        client = _loadgen._Client(port, "/v1/decide", [b'{"event_id": "__EVENT_ID__"}'], "t-")
        try:
            tally, elapsed = await asyncio.wait_for(_loadgen.burst(client, 12), timeout=10)
        finally:
            await client.close()
    assert (len(tally.latencies_ms), tally.errors, tally.by_llm, most) == (12, 0, 8, 12)
    assert elapsed > 0
