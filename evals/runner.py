"""Run scenarios in process (rules or a scripted fake model) or against a live server, and score them."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any

import httpx
from pydantic import BaseModel

from agent.testing import ScriptedModel, choose_first_candidate
from nextbest.app.bootstrap import open_runtime
from nextbest.clock import FixedClock
from nextbest.contracts import ActionKind, DecideRequest, Decision
from nextbest.settings import Settings, default_policy_dir
from nextbest.world import World, load_world
from tools.catalog import open_product_search

from .scenario import DecideStep, Scenario
from .scorers import AsyncEvaluator, Evaluator, PolicyChecker, PriorContact, RunRecord, Score, default_scorers
from .scorers.metrics import Metrics, ScenarioResult, summarize

__all__ = ["EvalConfig", "Progress", "Report", "Scorer", "run_suite"]

SCRIPT_STEPS = 64


class EvalConfig(StrEnum):
    RULES = "rules"
    LLM_FAKE = "llm-fake"


class Report(BaseModel):
    config: str
    metrics: Metrics
    scenarios: list[ScenarioResult]


Progress = Callable[[Scenario], None]
Scorer = Evaluator | AsyncEvaluator


class _InProcess:
    def __init__(self, config: EvalConfig, world: World, policy_dir: Path) -> None:
        self.config, self.world, self.policy_dir = config, world, policy_dir
        self._index_dir = tempfile.TemporaryDirectory(prefix="nextbest-eval-catalog-")
        # One catalog index for the whole suite: retrieval is part of what is scored, re-indexing is not.
        self.search = open_product_search(
            Settings(data_dir=Path(self._index_dir.name)), world.products.values(), world.stock
        )

    def close(self) -> None:
        self.search.close()
        self._index_dir.cleanup()

    async def run(self, scenario: Scenario) -> RunRecord:
        with tempfile.TemporaryDirectory(prefix="nextbest-eval-") as data_dir:
            settings = Settings(
                data_dir=Path(data_dir),
                policy_dir=self.policy_dir,
                policy_watch=False,
                holdout_percent=scenario.settings.holdout_percent,
                model=None,
            )
            model = (
                ScriptedModel([choose_first_candidate()] * SCRIPT_STEPS) if self.config is EvalConfig.LLM_FAKE else None
            )
            clock = FixedClock(scenario.clock_time)
            runtime = await open_runtime(settings, clock=clock, model=model, world=self.world, search=self.search)
            try:
                history = await self._setup(scenario, runtime, clock)
                clock.set(scenario.clock_time)
                started = time.perf_counter()
                decision = await runtime.decider.decide(scenario.request)
                latency = (time.perf_counter() - started) * 1000
            finally:
                await runtime.aclose()
        return RunRecord(scenario, decision.model_dump(mode="json"), decision, latency, history)

    async def _setup(self, scenario: Scenario, runtime: Any, clock: FixedClock) -> list[PriorContact]:
        history: dict[str, PriorContact] = {}
        for step in scenario.setup:
            if isinstance(step, DecideStep):
                clock.set(step.at or step.request.event.occurred_at)
                history[step.request.event.event_id] = PriorContact(await runtime.decider.decide(step.request))
            else:
                prior = history[step.event_id]
                await runtime.decider.feedback(prior.decision.decision_id, step.outcome, step.occurred_at)
                prior.record(step.outcome)
        return list(history.values())


class _Remote:
    """Against a live server: the server's own clock, so time-dependent scenarios may legitimately differ."""

    def __init__(self, url: str, client: httpx.AsyncClient, run_tag: str) -> None:
        self.url, self.client, self.tag = url.rstrip("/"), client, run_tag

    def _tagged(self, request: DecideRequest) -> DecideRequest:
        event = request.event.model_copy(update={"event_id": f"{request.event.event_id}-{self.tag}"})
        return request.model_copy(update={"event": event})

    async def run(self, scenario: Scenario) -> RunRecord:
        history: dict[str, PriorContact] = {}
        for step in scenario.setup:
            if isinstance(step, DecideStep):
                reply = await self.client.post(
                    f"{self.url}/v1/decide", json=self._tagged(step.request).model_dump(mode="json")
                )
                history[step.request.event.event_id] = PriorContact(Decision.model_validate(reply.json()))
            else:
                prior = history[step.event_id]
                body = {
                    "decision_id": prior.decision.decision_id,
                    "outcome": step.outcome.value,
                    "occurred_at": step.occurred_at.isoformat(),
                }
                await self.client.post(f"{self.url}/v1/feedback", json=body)
                prior.record(step.outcome)
        started = time.perf_counter()
        try:
            reply = await self.client.post(
                f"{self.url}/v1/decide", json=self._tagged(scenario.request).model_dump(mode="json")
            )
            raw: dict[str, Any] | None = reply.json()
        except (httpx.HTTPError, ValueError) as exc:
            elapsed = (time.perf_counter() - started) * 1000
            return RunRecord(scenario, None, None, elapsed, list(history.values()), str(exc), remote=True)
        latency = (time.perf_counter() - started) * 1000
        try:
            decision: Decision | None = Decision.model_validate(raw)
        except ValueError:
            decision = None
        return RunRecord(scenario, raw, decision, latency, list(history.values()), remote=True)


async def _score(scorers: Sequence[Scorer], run: RunRecord) -> dict[str, Score]:
    scores = {}
    for scorer in scorers:
        scores[scorer.name] = (
            await scorer.aevaluate(run) if isinstance(scorer, AsyncEvaluator) else scorer.evaluate(run)
        )
    return scores


def _result(scenario: Scenario, runs: list[RunRecord], scored: list[dict[str, Score]]) -> ScenarioResult:
    oks = [all(s.passed is not False for s in scores.values()) for scores in scored]
    index = oks.index(False) if False in oks else len(oks) - 1
    run, decision = runs[index], runs[index].decision
    calls = decision.trace.model_calls if decision else []
    return ScenarioResult(
        id=scenario.id,
        use_case=scenario.use_case,
        tags=scenario.tags,
        description=scenario.description,
        passed=all(oks),
        repeats_passed=oks,
        scores=scored[index],
        action=decision.action.value if decision else None,
        channel=decision.channel.value if decision and decision.channel else None,
        expected_none=scenario.expects_none,
        none_acceptable=scenario.expect.actions is None or ActionKind.NONE in scenario.expect.actions,
        decided_none=bool(decision and decision.action is ActionKind.NONE),
        latencies_ms=[round(r.latency_ms, 3) for r in runs],
        model_calls=len(calls),
        prompt_tokens=sum(c.prompt_tokens for c in calls),
        completion_tokens=sum(c.completion_tokens for c in calls),
        fallback_reason=decision.fallback_reason.value if decision and decision.fallback_reason else None,
        guardrails=[f"{v.name}:{v.verdict.value}" for v in decision.guardrails] if decision else [],
        decision=run.raw,
    )


async def run_suite(
    scenarios: Sequence[Scenario],
    *,
    config: EvalConfig = EvalConfig.RULES,
    repeat: int = 1,
    url: str | None = None,
    policy_dir: Path | None = None,
    world: World | None = None,
    scorers: Sequence[Scorer] | None = None,
    http_client: httpx.AsyncClient | None = None,
    api_key: str | None = None,
    progress: Progress | None = None,
) -> Report:
    """Run every scenario `repeat` times with a fresh ledger each time, score each run, and summarize.

    With `url`, a live server decides instead (bearer `api_key` if given): on its own clock, holdout
    settings and one shared ledger, so scenarios whose outcome depends on those may differ there.
    """
    world = world or load_world()
    policy_dir = policy_dir or default_policy_dir()
    chosen = scorers or default_scorers(PolicyChecker(policy_dir / "guardrails.yaml", world))
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    client = http_client or (httpx.AsyncClient(timeout=30, headers=headers) if url else None)
    local = None if url else _InProcess(config, world, policy_dir)
    results = []
    try:
        for scenario in scenarios:
            runs = []
            for attempt in range(repeat):
                runner = local or _Remote(url or "", client or httpx.AsyncClient(), f"r{attempt}-{time.time_ns()}")
                runs.append(await runner.run(scenario))
            scored = [await _score(chosen, run) for run in runs]
            results.append(_result(scenario, runs, scored))
            if progress:
                progress(scenario)
    finally:
        if local is not None:
            local.close()
        if client is not None and http_client is None:
            await client.aclose()
    return Report(config="remote" if url else config.value, metrics=summarize(results, repeat), scenarios=results)
