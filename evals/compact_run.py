"""How often a real model's answer is accepted in a prompt profile: `python -m evals.compact_run URL MODEL N`.

Each eval scenario's moment is opened and its candidates gathered as the graph does; the model is then asked
with `ask_model` in `json_object` mode and the given profile (compact by default), with one repair turn and
a 60 s deadline. One JSON line per decision, then the tally. Moments where nothing is allowed are skipped.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from agent.llm import LlmOutcome, ask_model
from agent.pipeline import gather, nothing_allowed, open_moment
from agent.prompt import PromptProfile
from nextbest.app.bootstrap import open_runtime
from nextbest.clock import FixedClock
from nextbest.settings import OutputMode, Settings
from nextbest.world import World, load_world

from .scenario import Scenario, load_scenarios

DEADLINE_S = 60.0


def _label(outcome: LlmOutcome) -> str:
    if outcome.proposal is not None:
        return "accepted"
    rejection = getattr(outcome.failure, "rejection", None)
    return str(rejection.value) if rejection is not None else outcome.failure.reason.value if outcome.failure else "?"


async def _one(scenario: Scenario, world: World, url: str, model: str, profile: PromptProfile) -> dict[str, Any] | None:
    with tempfile.TemporaryDirectory(prefix="nextbest-compact-run-") as data_dir:
        settings = Settings(
            data_dir=Path(data_dir),
            policy_watch=False,
            holdout_percent=0,
            model=model,
            openai_base_url=url,
            openai_api_key=SecretStr("unused"),
            output_mode=OutputMode.JSON_OBJECT,
            default_deadline_ms=int(DEADLINE_S * 1000),
            model_max_tokens=200,
        )
        runtime = await open_runtime(settings, clock=FixedClock(scenario.clock_time), world=world, search=None)
        try:
            ctx = runtime.decider.ctx
            moment = await open_moment(scenario.request, ctx)
            candidates = gather(moment, ctx)
            if ctx.model is None or moment.playbook is None or nothing_allowed(moment, candidates):
                return None
            outcome, started = LlmOutcome(None, candidates), time.monotonic()
            await ask_model(
                ctx.model,
                moment.playbook,
                moment.policies.brand,
                moment.request,
                candidates,
                now=moment.now,
                deadline=started + DEADLINE_S,
                budget=settings.prompt_token_budget,
                repair_turns=1,
                outcome=outcome,
                profile=profile,
            )
        finally:
            await runtime.aclose()
    proposal = outcome.proposal
    return {
        "scenario": scenario.id,
        "outcome": _label(outcome),
        "action": proposal.action.value if proposal else None,
        "seconds": round(time.monotonic() - started, 1),
        "adjustments": outcome.adjustments,
        "calls": [(c.outcome, c.prompt_tokens, c.completion_tokens, round(c.latency_ms)) for c in outcome.calls],
        "error": str(outcome.failure or "")[:200],
    }


async def run(url: str, model: str, count: int, profile: PromptProfile) -> Counter[str]:
    world, tally = load_world(), Counter[str]()
    for scenario in load_scenarios():
        if tally.total() >= count:
            break
        row = await _one(scenario, world, url, model, profile)
        if row is not None:
            tally[row["outcome"]] += 1
            print(json.dumps(row), flush=True)
    print("tally", json.dumps(dict(tally)), flush=True)
    return tally


if __name__ == "__main__":
    profile = PromptProfile(sys.argv[4]) if len(sys.argv) > 4 else PromptProfile.COMPACT
    asyncio.run(run(sys.argv[1], sys.argv[2], int(sys.argv[3]), profile))
