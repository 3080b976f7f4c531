"""The runner on a handful of scenarios: rules path, scripted model path, and a broken guardrail failing the gate."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from evals.gates import check_gates
from evals.runner import EvalConfig, run_suite
from evals.scenario import Scenario
from evals.scorers import PolicyChecker, default_scorers
from nextbest.settings import default_policy_dir
from nextbest.world import World

FEW = ["cart-01", "cap-email-01", "quiet-03", "holdout-01", "unknown-email_open", "order-01"]


async def test_rules_path_passes_a_handful(suite: dict[str, Scenario], world: World) -> None:
    report = await run_suite([suite[s] for s in FEW], world=world)
    assert [r.id for r in report.scenarios if not r.passed] == []
    assert report.metrics.guardrail_compliance == 1.0
    assert report.metrics.restraint_recall == 1.0
    assert all(g.passed for g in check_gates(report, {"guardrail_compliance": 1.0, "expectation_pass_rate": 1.0}))


async def test_llm_path_uses_the_scripted_model(suite: dict[str, Scenario], world: World) -> None:
    report = await run_suite([suite["cart-01"], suite["xsell-01"]], config=EvalConfig.LLM_FAKE, world=world)
    assert report.metrics.model_calls_per_decision >= 1
    assert report.metrics.guardrail_compliance == 1.0
    assert all(r.scores["schema_validity"].passed for r in report.scenarios)


async def test_broken_quiet_hours_policy_fails_the_compliance_gate(
    suite: dict[str, Scenario], world: World, tmp_path: Path
) -> None:
    broken = tmp_path / "prompts"
    shutil.copytree(default_policy_dir(), broken)
    policy = broken / "guardrails.yaml"
    text = policy.read_text(encoding="utf-8").replace("  enabled: true", "  enabled: false")
    assert yaml.safe_load(text)["quiet_hours"]["enabled"] is False
    policy.write_text(text, encoding="utf-8")
    scorers = default_scorers(PolicyChecker(default_policy_dir() / "guardrails.yaml", world))
    report = await run_suite([suite["quiet-01"], suite["cart-01"]], world=world, policy_dir=broken, scorers=scorers)
    gate = check_gates(report, {"guardrail_compliance": 1.0})[0]
    assert gate.passed is False
    assert gate.failing_scenarios == ["quiet-01"]
