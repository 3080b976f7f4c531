"""Figures 9 and 10: `nextbest serve --workers N` over HTTP, on the shared SQLite ledger and on Redis.

Scaling: the rules path at its closed-loop ceiling with one worker and with two, per ledger backend; the
ratio is two workers over one (target ≥ 1.5×). The load generator (`benchmarks._loadgen`) shares the cores
with the server, so its CPU share is reported with each figure: on a 2-core machine it takes part of the
second core the second worker would use.

Flight: 1,000 decisions sent at once, each on its own connection, to two workers whose model is the fake
server answering after 1 s; throughput is 1,000 / the time until the last answer, against the ideal of
1,000 a second (target ≥ 0.5× ideal). The deadline is raised to 10 s so every answer is the model's, and
the figure says how many were.
"""

from __future__ import annotations

import json
import statistics
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .fake_openai_server import start_fake_server
from .http import load, request_bodies, serve_nextbest
from .results import Result

__all__ = ["FlightPlan", "ScalingPlan", "run_flight", "run_scaling"]

SCALING_TARGET = 1.5
FLIGHT_TARGET = 0.5
REDIS_URL = "redis://127.0.0.1:6379/15"
"""A database of its own; the keys the run wrote (under `nextbest:ledger`) are deleted after it."""


@dataclass(frozen=True)
class ScalingPlan:
    seconds: float = 10.0
    runs: int = 3
    concurrency: int = 64
    warmup: float = 2.0
    backends: Sequence[str] = ("sqlite", "redis")


@dataclass(frozen=True)
class FlightPlan:
    in_flight: int = 1000
    model_ms: int = 1000
    workers: int = 2
    runs: int = 3


def _redis_up() -> str | None:
    """Why Redis cannot be used, or None when it answers."""
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping()
    except Exception as exc:  # any failure to reach it means: skip the backend, say why
        return f"Redis at {REDIS_URL} did not answer ({type(exc).__name__}: {exc})"
    return None


def _forget_redis_keys() -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(match="nextbest:*", count=1000))
    for at in range(0, len(keys), 1000):
        client.delete(*keys[at : at + 1000])


def _backend_env(backend: str) -> dict[str, str]:
    return {"NEXTBEST_REDIS_URL": REDIS_URL} if backend == "redis" else {}


def _ceiling(work: str, bodies_file: str, backend: str, workers: int, plan: ScalingPlan, run: int) -> Any:
    data_dir = str(Path(work) / f"data-{backend}-{workers}-{run}")
    with serve_nextbest(data_dir, workers=workers, env=_backend_env(backend)) as port:
        prefix = f"s{backend}{workers}w{run}"
        # a fresh server per run: warm both workers (their caches, the ledger file) before measuring
        return load(
            port, bodies_file, prefix=prefix, seconds=plan.seconds, concurrency=plan.concurrency, warmup=plan.warmup
        )


def _scaling_results(backend: str, one: list[Any], two: list[Any], plan: ScalingPlan) -> list[Result]:
    single = statistics.median(run["throughput"] for run in one)
    double = statistics.median(run["throughput"] for run in two)
    tag = f"scaling.{backend}"
    errors = sum(run["errors"] for run in one + two)
    return [
        Result.of(
            f"{tag}.workers1.throughput",
            single,
            "req/s",
            extra={
                "runs": [run["throughput"] for run in one],
                "generator_cpu_share": statistics.median(run["generator_cpu_share"] for run in one),
            },
        ),
        Result.of(
            f"{tag}.workers2.throughput",
            double,
            "req/s",
            baseline=single,
            target=f"≥ {SCALING_TARGET:g}× one worker",
            met=double >= SCALING_TARGET * single and errors == 0,
            extra={
                "runs": [run["throughput"] for run in two],
                "errors": errors,
                "concurrency": plan.concurrency,
                "generator_cpu_share": statistics.median(run["generator_cpu_share"] for run in two),
                "note": "the load generator shares the cores: its CPU share is taken from the second worker",
            },
        ),
    ]


def run_scaling(plan: ScalingPlan) -> list[Result]:
    """Per backend: the closed-loop ceiling with one worker and with two, interleaved run by run."""
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="nextbest-bench-scaling-") as work:
        bodies_file = str(Path(work) / "bodies.json")
        Path(bodies_file).write_text(json.dumps(request_bodies()), encoding="utf-8")
        for backend in plan.backends:
            missing = _redis_up() if backend == "redis" else None
            if missing is not None:
                results.append(Result.skip(f"scaling.{backend}", missing))
                continue
            one: list[Any] = []
            two: list[Any] = []
            try:
                for run in range(plan.runs):  # interleaved, so drifting background load hits both alike
                    one.append(_ceiling(work, bodies_file, backend, 1, plan, run))
                    two.append(_ceiling(work, bodies_file, backend, 2, plan, run))
            finally:
                if backend == "redis":
                    _forget_redis_keys()
            results += _scaling_results(backend, one, two, plan)
    return results


def _flight_bodies() -> list[str]:
    """The example bodies without their own deadline: the server's (10 s here) applies."""
    bodies = []
    for body in request_bodies():
        document = json.loads(body)
        document.pop("deadline_ms", None)
        bodies.append(json.dumps(document))
    return bodies


def run_flight(plan: FlightPlan) -> list[Result]:
    """`in_flight` decisions at once against a `model_ms` model, served by `workers` processes."""
    ideal = plan.in_flight / (plan.model_ms / 1000)
    runs: list[Any] = []
    with (
        tempfile.TemporaryDirectory(prefix="nextbest-bench-flight-") as work,
        start_fake_server(latency_ms=plan.model_ms, jitter_ms=0) as url,
    ):
        bodies_file = str(Path(work) / "bodies.json")
        Path(bodies_file).write_text(json.dumps(_flight_bodies()), encoding="utf-8")
        env = {
            "NEXTBEST_MODEL": "fake",
            "NEXTBEST_OPENAI_BASE_URL": url,
            "NEXTBEST_OPENAI_API_KEY": "x",
            "NEXTBEST_DEFAULT_DEADLINE_MS": "10000",
        }
        with serve_nextbest(str(Path(work) / "data"), workers=plan.workers, env=env) as port:
            for run in range(plan.runs):
                runs.append(load(port, bodies_file, prefix=f"flight{run}", seconds=0, burst=plan.in_flight))
    rates = [run["throughput"] for run in runs]
    rate = statistics.median(rates)
    errors = sum(run["errors"] for run in runs)
    by_llm = min(run["by_llm"] for run in runs)
    return [
        Result.of(
            f"flight.{plan.in_flight}_in_flight.workers{plan.workers}.throughput",
            rate,
            "dec/s",
            baseline=ideal,
            target=f"≥ {FLIGHT_TARGET:g}× ideal",
            met=rate >= FLIGHT_TARGET * ideal and errors == 0,
            extra={
                "runs": rates,
                "errors": errors,
                "decided_by_llm": by_llm,
                "model_latency_ms": plan.model_ms,
                "generator_cpu_share": statistics.median(run["generator_cpu_share"] for run in runs),
                "baseline_is": "in_flight decisions per model latency: every one answered as the model does",
            },
        )
    ]
