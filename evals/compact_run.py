"""How often a real model's answer is accepted in a prompt profile: `python -m evals.compact_run URL MODEL N`.

Each eval scenario is decided through the service (`Decider.decide`, dry run) in `json_object` mode with the
given profile (NEXTBEST_PROMPT_PROFILE; compact by default), one repair turn and a 60 s deadline. One JSON line
per decision, then the tally. Decisions where the model was not asked (nothing allowed) are skipped.
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

from agent.prompt import PromptProfile
from nextbest.app.bootstrap import open_runtime
from nextbest.clock import FixedClock
from nextbest.contracts import DecidedBy, Decision
from nextbest.settings import OutputMode, Settings
from nextbest.world import World, load_world

from .scenario import Scenario, load_scenarios

DEADLINE_S = 60.0


def _label(decision: Decision) -> str:
    if decision.decided_by is DecidedBy.LLM:
        return "accepted"
    return decision.fallback_reason.value if decision.fallback_reason else "?"


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
            prompt_profile=profile.value,
            default_deadline_ms=int(DEADLINE_S * 1000),
            model_max_tokens=200,
        )
        runtime = await open_runtime(settings, clock=FixedClock(scenario.clock_time), world=world, search=None)
        try:
            started = time.monotonic()
            request = scenario.request.model_copy(update={"dry_run": True, "deadline_ms": int(DEADLINE_S * 1000)})
            decision = await runtime.decider.decide(request)
        finally:
            await runtime.aclose()
    if not decision.trace.model_calls:
        return None
    return {
        "scenario": scenario.id,
        "outcome": _label(decision),
        "action": decision.action.value,
        "seconds": round(time.monotonic() - started, 1),
        "adjustments": decision.trace.adjustments,
        "calls": [
            (c.outcome, c.prompt_tokens, c.completion_tokens, round(c.latency_ms)) for c in decision.trace.model_calls
        ],
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
