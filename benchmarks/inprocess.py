"""Figure 2: the rules path in-process, `Decider.decide` end to end and the rules engine alone.

Baselines: for a decision, the serialization floor any service pays (parse the request JSON, dump a
decision JSON); for the engine, a whole decision, so the ratio is the engine's share of it.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

from agent import rules
from agent.deadline import Deadline
from agent.moment import open_moment
from agent.steps import gather
from nextbest.contracts import Decision

from ._runtime import bench_runtime, unique_requests
from ._stats import summary
from .results import Result

__all__ = ["InProcessPlan", "run_inprocess"]

ENGINE_TARGET_US = 1000.0


@dataclass(frozen=True)
class InProcessPlan:
    decisions: int = 2000
    runs: int = 5
    engine_repeats: int = 200


def _us(seconds: float) -> float:
    return seconds * 1_000_000


async def run_inprocess(plan: InProcessPlan) -> list[Result]:
    """Decisions per second and µs per decision; µs per `rules.propose` on prepared candidates."""
    decide_us: list[float] = []
    run_rates: list[float] = []
    floor_us: list[float] = []
    engine_us: list[float] = []
    async with bench_runtime() as runtime:
        decider, ctx = runtime.decider, runtime.decider.ctx
        for run in range(plan.runs):
            batch = unique_requests(plan.decisions, f"ip{run}")
            began = time.perf_counter()
            decisions: list[Decision] = []
            for request in batch:
                start = time.perf_counter()
                decisions.append(await decider.decide(request))
                decide_us.append(_us(time.perf_counter() - start))
            run_rates.append(len(batch) / (time.perf_counter() - began))
            for request, decision in zip(batch[:200], decisions[:200], strict=False):
                text = request.model_dump_json()
                start = time.perf_counter()
                type(request).model_validate_json(text)
                decision.model_dump_json()
                floor_us.append(_us(time.perf_counter() - start))
        for request in unique_requests(9, "engine"):
            moment = await open_moment(request, ctx, Deadline.start(1500))
            if moment.playbook is None:
                continue
            candidates = gather(moment, ctx)
            for _ in range(plan.engine_repeats):
                start = time.perf_counter()
                rules.propose(moment.playbook, candidates, request=request, brand=moment.policies.brand, now=moment.now)
                engine_us.append(_us(time.perf_counter() - start))
    decide, engine = summary(decide_us), summary(engine_us)
    return [
        Result.of(
            "inprocess.rules.decisions_per_s",
            statistics.median(run_rates),
            "dec/s",
            extra={"min": min(run_rates), "max": max(run_rates), "runs": plan.runs},
        ),
        Result.of(
            "inprocess.rules.us_per_decision",
            decide["p50"],
            "µs",
            baseline=statistics.median(floor_us),
            extra={"baseline_is": "request parse + decision dump", **decide},
        ),
        Result.of(
            "inprocess.rules_engine.us_per_propose",
            engine["p50"],
            "µs",
            baseline=decide["p50"],
            extra={"baseline_is": "one whole rules decision", **engine},
            target=f"p99 < {ENGINE_TARGET_US:g} µs",
            met=engine["p99"] < ENGINE_TARGET_US,
        ),
    ]
