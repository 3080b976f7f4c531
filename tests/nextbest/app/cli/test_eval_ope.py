"""`nextbest eval ope` on an exported decision log: the reward is read from each row, never recomputed."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from nextbest.app.cli import app
from nextbest.contracts import ActionKind, DecidedBy, DecisionRow
from nextbest.settings import default_policy_dir

runner = CliRunner()
AT = datetime(2031, 5, 6, 7, 8, tzinfo=UTC)
RATES = {"email": 0.05, "push": 0.15}
SCENARIOS = Path(__file__).resolve().parents[4] / "evals/scenarios/restraint.jsonl"


def _files(tmp_path: Path, rows: int) -> Path:
    rng = np.random.default_rng(9)
    decisions = []
    for i in range(rows):
        arm = "email" if rng.random() < 0.5 else "push"
        reward = float(rng.random() < RATES[arm])
        decisions.append(
            DecisionRow(
                decision_id=f"o{i}", event_id=f"oe{i}", subject_id=f"os{i}", use_case="cart_abandonment",
                action=ActionKind.MESSAGE, channel=None, placement=None, offer_id=None, product_ids=[], arm=arm,
                propensity=0.5, decided_by=DecidedBy.RULES, fallback_reason=None, policy_version="v",
                latency_ms=1, score=0.5, guardrails={}, holdout=False, transactional=False, decided_at=AT,
                recorded_at=AT, segment="all", masked_arms=["email", "push"], reward=reward,
            ).model_dump_json()
        )  # fmt: skip
    log = tmp_path / "decisions.jsonl"
    log.write_text("\n".join(decisions) + "\n")
    return log


def test_the_rules_value_is_estimated_from_a_uniform_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEXTBEST_DATA_DIR", str(tmp_path / "data"))
    log = _files(tmp_path, 4_000)
    args = ["eval", "ope", "--log", str(log), "--policy", "rules", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)["cart_abandonment"]
    assert report["rows"] == 4_000
    for estimate in report["estimates"]:  # the rules serve email, the first of the playbook's channels
        assert estimate["low"] <= RATES["email"] <= estimate["high"], estimate


def test_missing_files_and_unknown_playbooks_fail_clearly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEXTBEST_DATA_DIR", str(tmp_path / "data"))
    missing = runner.invoke(app, ["eval", "ope", "--log", str(tmp_path / "nope.jsonl")])
    assert missing.exit_code == 2 and "no file" in missing.output
    log = _files(tmp_path, 20)
    log.write_text(log.read_text().replace("cart_abandonment", "mystery_playbook"))
    unknown = runner.invoke(app, ["eval", "ope", "--log", str(log)])
    assert unknown.exit_code == 2 and "mystery_playbook" in unknown.output


def test_policy_preview_puts_the_estimate_beside_the_diff(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The edited folder learns (epsilon-greedy on a cold start: uniform); the old one is the rules."""
    monkeypatch.setenv("NEXTBEST_DATA_DIR", str(tmp_path / "data"))
    edited = tmp_path / "prompts"
    shutil.copytree(default_policy_dir(), edited)
    playbook = edited / "playbooks" / "cart_abandonment.md"
    text = playbook.read_text()
    end = text.index("\n---\n", 4)
    block = "learning:\n  policy: epsilon_greedy\n  explore_share: 1.0\n  arms: {kind: channel, ids: [email, push]}\n"
    playbook.write_text(text[: end + 1] + block + text[end + 1 :])
    log = _files(tmp_path, 3_000)
    args = ["policy", "preview", "--against", str(default_policy_dir()), "--policy-dir", str(edited)]
    args += ["--scenarios", str(SCENARIOS), "--log", str(log), "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    estimates = json.loads(result.output)["value_estimates"]
    before = {e["estimator"]: e for e in estimates["before"]["cart_abandonment"]["estimates"]}
    after = {e["estimator"]: e for e in estimates["after"]["cart_abandonment"]["estimates"]}
    assert before["ips"]["low"] <= RATES["email"] <= before["ips"]["high"]
    assert after["ips"]["low"] <= sum(RATES.values()) / 2 <= after["ips"]["high"]
    text = runner.invoke(app, [*args[:-1]])  # the same preview as text: the estimates sit under the field diff
    assert text.exit_code == 0, text.output
    assert "cart_abandonment" in text.output and "ips" in text.output.lower()
    missing = runner.invoke(app, ["policy", "preview", "--against", "HEAD", "--log", str(tmp_path / "none.jsonl")])
    assert missing.exit_code == 2 and "no file" in missing.output


def test_eval_learning_prints_the_figures_and_draws_the_regret(tmp_path: Path) -> None:
    page = tmp_path / "learning.html"
    result = runner.invoke(app, ["eval", "learning", "--decisions", "150", "--json", "--html", str(page)])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output.splitlines()[0])
    assert set(figures["reward"]) == {"learned", "uniform", "rules"}
    assert set(figures["rules_ope"]) == {"ips", "snips", "dr"}
    assert page.read_text().count("<polyline") == 3
