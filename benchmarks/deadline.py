"""Figure 4: the deadline as a promise, measured where a caller sees it: at the HTTP client.

A real `nextbest serve` subprocess asks a fake OpenAI-compatible model that never answers, while a CPU burner
keeps one of the cores busy. Decisions are sent `concurrency` at a time; each one's time runs from the
client's send to the full response read. Reported: the share within the request's own deadline (the
target: all of them), within deadline + 25 ms, p50/p99/max, and the server's own `Server-Timing`.

`python -m benchmarks.deadline [--quick] [--source DIR]` runs it by hand; `--source` serves another
checkout's code (e.g. `git archive main`) with this interpreter, for an A/B in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from ._stats import free_port, summary
from .fake_openai_server import start_fake_server
from .http import request_bodies
from .results import Result

__all__ = ["DeadlinePlan", "cpu_burner", "run_deadline", "serve_nextbest"]

SLACK_MS = 25.0
BURN = "while True:\n    pass\n"


@dataclass(frozen=True)
class DeadlinePlan:
    decisions: int = 200
    concurrency: int = 4
    deadline_ms: int = 300
    warmup: int = 8
    burn: bool = True
    """Keep one core busy with a CPU burner while measuring."""
    source: Path | None = None
    """Serve the code of this source tree instead of the installed one (an A/B baseline)."""


@contextmanager
def cpu_burner(core: int = 0) -> Iterator[subprocess.Popen[bytes]]:
    """A process spinning on one core for as long as the block lasts."""
    cores = os.sched_getaffinity(0)
    pin = {core} if core in cores else {min(cores)}
    process = subprocess.Popen([sys.executable, "-c", BURN], preexec_fn=lambda: os.sched_setaffinity(0, pin))
    try:
        yield process
    finally:
        process.kill()
        process.wait()


def _serve_env(data_dir: str, model_url: str, source: Path | None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("NEXTBEST_", "OPENAI_"))}
    env.update(
        NEXTBEST_DATA_DIR=data_dir,
        NEXTBEST_HOLDOUT_PERCENT="0",
        NEXTBEST_POLICY_WATCH="false",
        NEXTBEST_REDIS_URL="",
        NEXTBEST_API_KEYS="",
        NEXTBEST_MODEL="fake",
        NEXTBEST_OPENAI_BASE_URL=model_url,
        NEXTBEST_OPENAI_API_KEY="x",
    )
    if source is not None:
        env["PYTHONPATH"] = str(source)
    return env


@contextmanager
def serve_nextbest(model_url: str, *, source: Path | None = None, startup_s: float = 90.0) -> Iterator[str]:
    """`nextbest serve` in a subprocess on a fresh data dir; yields its base URL once /healthz answers."""
    port = free_port()
    command = [sys.executable, "-m", "nextbest.app.cli", "serve", "--port", str(port), "--log-level", "warning"]
    with tempfile.TemporaryDirectory(prefix="nextbest-deadline-") as data_dir:
        env = _serve_env(data_dir, model_url, source)
        # `python -m` puts the working directory first on sys.path: run a baseline from its own tree
        cwd = str(source) if source is not None else None
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_for(base, process, startup_s)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_for(base: str, process: subprocess.Popen[bytes], startup_s: float) -> None:
    until = time.monotonic() + startup_s
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"nextbest serve exited with {process.returncode} before serving")
        try:
            httpx.get(f"{base}/healthz", timeout=1.0).raise_for_status()
            return
        except httpx.HTTPError:
            if time.monotonic() > until:
                raise RuntimeError(f"nextbest serve did not answer /healthz within {startup_s:g}s") from None
            time.sleep(0.1)  # another process's port: no event to wait on


@dataclass
class _Sample:
    ms: float
    valid: bool
    server_ms: float | None


def _bodies(count: int, prefix: str, deadline_ms: int) -> list[bytes]:
    templates = request_bodies()
    bodies = []
    for number in range(count):
        document = json.loads(templates[number % len(templates)].replace("__EVENT_ID__", f"{prefix}-{number}"))
        document["deadline_ms"] = deadline_ms
        bodies.append(json.dumps(document).encode())
    return bodies


def _server_ms(header: str | None) -> float | None:
    if not header or "dur=" not in header:
        return None
    return float(header.split("dur=", 1)[1].split(";", 1)[0].split(",", 1)[0])


def _valid(response: httpx.Response) -> bool:
    """A 200 with a rules decision: the model never answers, so nothing else is a kept promise."""
    if response.status_code != 200:
        return False
    decision: dict[str, Any] = response.json()
    return decision.get("decided_by") == "rules" and bool(decision.get("decision_id"))


async def _send(client: httpx.AsyncClient, bodies: list[bytes], concurrency: int) -> list[_Sample]:
    samples: list[_Sample] = []
    queue = list(reversed(bodies))
    headers = {"content-type": "application/json"}

    async def worker() -> None:
        while queue:
            body = queue.pop()
            started = time.perf_counter()
            response = await client.post("/v1/decide", content=body, headers=headers)
            ms = (time.perf_counter() - started) * 1000
            samples.append(_Sample(ms, _valid(response), _server_ms(response.headers.get("server-timing"))))

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return samples


async def _measure(base: str, plan: DeadlinePlan) -> list[_Sample]:
    limits = httpx.Limits(max_connections=plan.concurrency, max_keepalive_connections=plan.concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30.0) as client:
        await _send(client, _bodies(plan.warmup, "warm", plan.deadline_ms), plan.concurrency)
        return await _send(client, _bodies(plan.decisions, "hang", plan.deadline_ms), plan.concurrency)


def measure_deadline(plan: DeadlinePlan) -> list[_Sample]:
    """The samples of one run: fake hanging model, `nextbest serve`, one busy core, at the HTTP client."""
    burner: AbstractContextManager[object] = cpu_burner() if plan.burn else nullcontext()
    with (
        start_fake_server(hang_rate=1.0, latency_ms=0, jitter_ms=0) as model_url,
        serve_nextbest(model_url, source=plan.source) as base,
        burner,
    ):
        return asyncio.run(_measure(base, plan))


def results_of(samples: list[_Sample], plan: DeadlinePlan, *, tag: str = "deadline") -> list[Result]:
    elapsed = [sample.ms for sample in samples]
    within = sum(1 for ms in elapsed if ms <= plan.deadline_ms) / len(elapsed)
    slack = sum(1 for ms in elapsed if ms <= plan.deadline_ms + SLACK_MS) / len(elapsed)
    valid = sum(sample.valid for sample in samples)
    server = [sample.server_ms for sample in samples if sample.server_ms is not None]
    spread = summary(elapsed)
    setup = {
        "deadline_ms": plan.deadline_ms,
        "decisions": len(samples),
        "concurrency": plan.concurrency,
        "valid_decisions": valid,
        "measured_at": "the HTTP client; nextbest serve subprocess, hanging fake model",
        "cpu_burner": "one core" if plan.burn else "none",
    }
    return [
        Result.of(
            f"{tag}.within_share",
            within * 100,
            "%",
            target="100% within the deadline",
            met=within == 1.0 and valid == len(samples),
            extra=setup,
        ),
        Result.of(f"{tag}.within_slack_share", slack * 100, "%", extra={"slack_ms": SLACK_MS}),
        Result.of(f"{tag}.latency_ms.p50", spread["p50"], "ms", baseline=float(plan.deadline_ms)),
        Result.of(
            f"{tag}.latency_ms.p99",
            spread["p99"],
            "ms",
            baseline=float(plan.deadline_ms),
            extra={**spread, "baseline_is": "the request's deadline"},
        ),
        Result.of(f"{tag}.latency_ms.max", max(elapsed), "ms", baseline=float(plan.deadline_ms)),
        Result.of(
            f"{tag}.server_timing_ms.p99",
            summary(server)["p99"] if server else float("nan"),
            "ms",
            extra={"answers_with_header": len(server)},
        ),
    ]


def run_deadline(plan: DeadlinePlan) -> list[Result]:
    return results_of(measure_deadline(plan), plan)


def _main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.deadline", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="40 decisions instead of 200")
    parser.add_argument("--source", type=Path, help="serve this source tree (an A/B baseline) as well")
    options = parser.parse_args()
    plan = DeadlinePlan(decisions=40) if options.quick else DeadlinePlan()
    rows: list[Result] = []
    runs = [("deadline", plan)]
    if options.source is not None:
        runs.insert(0, ("baseline", DeadlinePlan(decisions=plan.decisions, source=options.source.resolve())))
    for tag, chosen in runs:  # the baseline first, then ours, in the same invocation and load
        rows += results_of(measure_deadline(chosen), chosen, tag=tag)
    for row in rows:
        print(f"{row.name:34} {row.value:9.1f} {row.unit}")


if __name__ == "__main__":
    _main()
