"""Figures 3-5: the LLM path against the fake OpenAI server.

3. overhead beyond the model's own latency, calls and prompt tokens per decision, against ReAct;
(4, the deadline under a hanging model, is `benchmarks.deadline`: measured at the HTTP client.)
5. 1,000 decisions in flight against a 1 s model: throughput against the ideal, and peak memory.

Overhead is wall time minus the time the fake reports it spent on each call (`x-fake-model-ms`: its sleep
of the configured latency, jitter off, plus building the answer). The HTTP round trip and both client
stacks count as overhead, for both sides. The fake's sleep overshoots by up to a timer tick (~0.7 ms a call
on uvloop's millisecond timers), which is the model's time, not orchestration; wall time minus calls × the
nominal latency is kept too (`beyond_nominal_latency_p50`).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from dataclasses import dataclass, field, replace

import httpx2

from agent.model import ShardedTransport, model_http_client
from nextbest.contracts import DecidedBy, FallbackReason

from ._meter import MeteredTransport, Tally
from ._runtime import bench_runtime, unique_requests
from ._stats import PeakRss, summary
from .fake_openai_server import start_fake_server
from .results import Result

__all__ = ["LlmPlan", "run_concurrency", "run_llm_overhead"]

OVERHEAD_TARGET_MS = 5.0
ONE_CALL_TARGET = 0.95
CONCURRENCY_TARGET = 0.8


@dataclass(frozen=True)
class LlmPlan:
    latency_ms: float = 50.0
    decisions: int = 200
    in_flight: int = 1000
    slow_ms: float = 1000.0
    runs: int = 3


def _client(limit: int = 100) -> tuple[httpx2.AsyncClient, MeteredTransport]:
    """The client `open_runtime` would build for `NEXTBEST_MODEL_MAX_CONNECTIONS=limit`, metered."""
    transport = MeteredTransport(ShardedTransport(limit))
    return model_http_client(max_connections=limit, timeout_s=60.0, transport=transport), transport


@dataclass
class _Samples:
    """Per decision: overhead beyond the model's reported time, beyond its nominal latency, calls, tokens."""

    overheads: list[float] = field(default_factory=list)
    nominal: list[float] = field(default_factory=list)
    calls: list[int] = field(default_factory=list)
    tokens: list[int] = field(default_factory=list)

    def add(self, wall_ms: float, meter: MeteredTransport, before: Tally, latency_ms: float) -> None:
        made = meter.tally.calls - before.calls
        self.overheads.append(wall_ms - (meter.tally.model_ms - before.model_ms))
        self.nominal.append(wall_ms - made * latency_ms)
        self.calls.append(made)
        self.tokens.append(meter.tally.prompt_tokens - before.prompt_tokens)

    def settled(self, skip: int = 5) -> _Samples:
        """Without the first few, which pay for imports and connections."""
        return _Samples(self.overheads[skip:], self.nominal[skip:], self.calls[skip:], self.tokens[skip:])


async def _ours(url: str, plan: LlmPlan) -> _Samples:
    samples = _Samples()
    client, meter = _client()
    async with client, bench_runtime(model_url=url, http_client=client) as runtime:
        for request in unique_requests(plan.decisions + 5, "llm"):
            before = replace(meter.tally)
            start = time.perf_counter()
            decision = await runtime.decider.decide(request)
            wall_ms = (time.perf_counter() - start) * 1000
            if decision.fallback_reason is FallbackReason.NOTHING_ALLOWED:
                continue  # nothing to ask the model: not an LLM-path decision
            samples.add(wall_ms, meter, before, plan.latency_ms)
    return samples.settled()


async def _react(url: str, plan: LlmPlan) -> _Samples:
    from .react import ReactBaseline

    samples = _Samples()
    client, meter = _client()
    async with client, bench_runtime(model_url=url, http_client=client) as runtime:
        agent = ReactBaseline(runtime, url, client)
        for request in unique_requests(plan.decisions + 5, "react"):
            before = replace(meter.tally)
            start = time.perf_counter()
            if await agent.decide(request) is None and meter.tally.calls == before.calls:
                continue
            samples.add((time.perf_counter() - start) * 1000, meter, before, plan.latency_ms)
    return samples.settled()


async def run_llm_overhead(plan: LlmPlan) -> list[Result]:
    with start_fake_server(latency_ms=plan.latency_ms, jitter_ms=0, seed=7) as url:
        ours = await _ours(url, plan)
        react = await _react(url, plan)
    mine, theirs = summary(ours.overheads), summary(react.overheads)
    nominal = summary(ours.nominal)
    calls, react_calls = ours.calls, react.calls
    one_call = sum(1 for made in calls if made == 1) / len(calls)
    react_one = sum(1 for made in react_calls if made == 1) / len(react_calls)
    return [
        Result.of(
            "llm.overhead_ms.p50",
            mine["p50"],
            "ms",
            baseline=theirs["p50"],
            target=f"≤ {OVERHEAD_TARGET_MS:g} ms",
            met=mine["p50"] <= OVERHEAD_TARGET_MS,
            extra={
                **mine,
                "baseline_is": "LangGraph create_react_agent",
                "model_latency_ms": plan.latency_ms,
                "beyond_nominal_latency_p50": nominal["p50"],
                "baseline_beyond_nominal_latency_p50": summary(react.nominal)["p50"],
            },
        ),
        Result.of("llm.overhead_ms.p99", mine["p99"], "ms", baseline=theirs["p99"]),
        Result.of(
            "llm.calls_per_decision.mean",
            statistics.mean(calls),
            "calls",
            baseline=statistics.mean(react_calls),
            extra={"decisions": len(calls)},
        ),
        Result.of(
            "llm.one_call_share",
            one_call * 100,
            "%",
            baseline=react_one * 100,
            target=f"≥ {ONE_CALL_TARGET:.0%}",
            met=one_call >= ONE_CALL_TARGET,
        ),
        Result.of(
            "llm.prompt_tokens_per_decision",
            statistics.median(ours.tokens),
            "tokens",
            baseline=statistics.median(react.tokens),
            extra={"counted_by": "the fake server's usage (about 4 characters a token)"},
        ),
    ]


async def _flight(url: str, plan: LlmPlan, run: int, pool: int) -> tuple[float, float, int]:
    client, _ = _client(pool)
    async with client, bench_runtime(model_url=url, http_client=client, deadline_ms=60_000) as runtime:
        requests = unique_requests(plan.in_flight, f"fl{run}-{pool}")
        await runtime.decider.decide(unique_requests(1, f"warm{run}-{pool}")[0])
        with PeakRss() as memory:
            start = time.perf_counter()
            decisions = await asyncio.gather(*(runtime.decider.decide(r) for r in requests))
            wall = time.perf_counter() - start
    by_llm = sum(1 for decision in decisions if decision.decided_by is DecidedBy.LLM)
    return len(requests) / wall, memory.peak_mib, by_llm


async def run_concurrency(plan: LlmPlan, *, pools: tuple[int, ...] = (1000, 100)) -> list[Result]:
    """Throughput of `in_flight` simultaneous decisions against a `slow_ms` model, and the memory it takes.

    Run once with a pool as wide as the load (`NEXTBEST_MODEL_MAX_CONNECTIONS`' default, 1000) and once
    with 100 connections (httpx's default, which `open_runtime` used before that setting existed).
    """
    ideal = plan.in_flight / (plan.slow_ms / 1000)
    results = []
    with start_fake_server(latency_ms=plan.slow_ms, jitter_ms=0) as url:
        for pool in pools:
            runs = [await _flight(url, plan, run, pool) for run in range(plan.runs if pool == pools[0] else 1)]
            rate = statistics.median(run[0] for run in runs)
            results.append(
                Result.of(
                    f"concurrency.{plan.in_flight}_in_flight.pool{pool}.throughput",
                    rate,
                    "dec/s",
                    baseline=ideal,
                    target=f"≥ {CONCURRENCY_TARGET:g}× ideal",
                    met=rate >= CONCURRENCY_TARGET * ideal,
                    extra={
                        "min": min(run[0] for run in runs),
                        "max": max(run[0] for run in runs),
                        "runs": len(runs),
                        "decided_by_llm": min(run[2] for run in runs),
                        "model_latency_ms": plan.slow_ms,
                    },
                )
            )
            results.append(
                Result.of(
                    f"concurrency.{plan.in_flight}_in_flight.pool{pool}.peak_rss_growth",
                    max(run[1] for run in runs),
                    "MiB",
                )
            )
    return results
