"""`nextbest policy lint|show` through typer's CliRunner, on the shipped folder and on a broken copy."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.policies import load_policy_set
from nextbest.app.cli._policy import policy_app
from nextbest.settings import default_policy_dir

SHIPPED = default_policy_dir()


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.delenv("NEXTBEST_PROMPT_TOKEN_BUDGET", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    return CliRunner()


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    root = Path(shutil.copytree(SHIPPED, tmp_path / "prompts"))
    path = root / "playbooks" / "cart_abandonment.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("tone: warm", "tonne: warm").replace("[cart_recovery]", "[cart_recovry]"))
    return root


def test_lint_passes_on_the_shipped_folder(runner: CliRunner) -> None:
    result = runner.invoke(policy_app, ["lint", str(SHIPPED)])

    assert result.exit_code == 0, result.output
    assert f"ok: 0 error(s), 0 warning(s), version {load_policy_set(SHIPPED).version}" in result.output
    assert "session_intent" in result.output


def test_lint_fails_with_every_finding_as_json(runner: CliRunner, broken: Path) -> None:
    result = runner.invoke(policy_app, ["lint", str(broken), "--json"])

    assert result.exit_code == 1
    report = json.loads(result.stdout)
    found = {(finding["key"], finding["line"], finding["severity"]) for finding in report["findings"]}
    assert found == {("offer_pools", 12, "error"), ("tonne", 13, "error")}
    assert report["version"] is None


def test_lint_prints_a_table_with_file_and_line(runner: CliRunner, broken: Path) -> None:
    result = runner.invoke(policy_app, ["lint", str(broken)])

    assert result.exit_code == 1
    assert "playbooks/cart_abandonment.md:13" in result.output
    assert "unknown key (check the spelling)" in result.output
    assert "2 error(s), 0 warning(s)" in result.output


def test_lint_budget_option_overrides_the_setting(runner: CliRunner) -> None:
    result = runner.invoke(policy_app, ["lint", str(SHIPPED), "--budget", "1200", "--json"])

    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["token_budget"] == 1200
    assert {finding["key"] for finding in report["findings"]} == {"instructions"}


def test_show_lists_version_files_and_playbooks(runner: CliRunner) -> None:
    result = runner.invoke(policy_app, ["show", str(SHIPPED)])

    assert result.exit_code == 0, result.output
    policies = load_policy_set(SHIPPED)
    assert f"policy version {policies.version}" in result.output
    assert "guardrails.yaml" in result.output
    assert all(playbook.id in result.output for playbook in policies.playbooks)


def test_show_fails_on_a_broken_folder(runner: CliRunner, broken: Path) -> None:
    result = runner.invoke(policy_app, ["show", str(broken)])

    assert result.exit_code == 1
    assert "tonne" in result.output
