"""`nextbest policy lint|show` through typer's CliRunner, on the shipped folder and on a broken copy.

CliRunner's stdout is not a terminal, so the default output is the line form; TTY_COMPATIBLE=1 asks for tables.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from agent.policies import load_policy_set
from nextbest.app.cli._policy import policy_app
from nextbest.app.cli._policy_output import findings_table, lint_lines
from nextbest.policy import Finding, LintReport, Severity
from nextbest.settings import default_policy_dir

SHIPPED = default_policy_dir()


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.delenv("NEXTBEST_PROMPT_TOKEN_BUDGET", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    return CliRunner()


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if stdout were a terminal: tables (read through `_plain`, without their style codes)."""
    monkeypatch.setenv("TTY_COMPATIBLE", "1")


def _plain(output: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", output)


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


def test_lint_piped_prints_one_finding_a_line_as_path_line_key_message(runner: CliRunner, broken: Path) -> None:
    result = runner.invoke(policy_app, ["lint", str(broken)])

    assert result.exit_code == 1
    playbook = broken / "playbooks" / "cart_abandonment.md"  # under tmp, not the working directory: absolute
    lines = result.stdout.splitlines()
    assert f"{playbook}:13: tonne: unknown key (check the spelling)" in lines
    assert any(line.startswith(f"{playbook}:12: offer_pools: ") for line in lines)
    assert lines[-1] == "2 error(s), 0 warning(s)"
    assert "│" not in result.stdout and "┃" not in result.stdout


def test_lint_paths_are_relative_to_the_working_directory_below_it(
    runner: CliRunner, broken: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(broken.parent)
    result = runner.invoke(policy_app, ["lint", "prompts"])

    assert "prompts/playbooks/cart_abandonment.md:13: tonne: unknown key (check the spelling)" in result.stdout


def test_lint_on_a_terminal_prints_a_table_with_file_and_line(runner: CliRunner, broken: Path, terminal: None) -> None:
    result = runner.invoke(policy_app, ["lint", str(broken)])
    output = _plain(result.output)

    assert result.exit_code == 1
    assert "playbooks/cart_abandonment.md:13" in output
    assert "unknown key (check the spelling)" in output
    assert "2 error(s), 0 warning(s)" in output
    assert "┃" in output


def test_a_finding_without_a_file_keeps_its_placeholder() -> None:
    report = LintReport(root="/p", token_budget=100, findings=[Finding(file="", message="empty folder")])

    assert list(lint_lines(report)) == ["<policy>: empty folder", "1 error(s), 0 warning(s)"]


def test_the_findings_table_keeps_square_brackets() -> None:
    finding = Finding(file="/p/brand.yaml", line=3, key="tone", message="Input should be a string [type=string_type]")
    report = LintReport(
        root="/p", token_budget=100, findings=[finding, finding.model_copy(update={"severity": Severity.WARNING})]
    )
    console = Console(record=True, width=200)

    console.print(findings_table(report, Path("/p")))

    assert console.export_text().count("[type=string_type]") == 2


def test_lint_budget_option_overrides_the_setting(runner: CliRunner) -> None:
    result = runner.invoke(policy_app, ["lint", str(SHIPPED), "--budget", "1200", "--json"])

    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["token_budget"] == 1200
    assert {finding["key"] for finding in report["findings"]} == {"instructions"}


def test_show_on_a_terminal_lists_version_files_and_playbooks(runner: CliRunner, terminal: None) -> None:
    result = runner.invoke(policy_app, ["show", str(SHIPPED)])
    output = _plain(result.output)

    assert result.exit_code == 0, result.output
    policies = load_policy_set(SHIPPED)
    assert f"policy version {policies.version}" in output
    assert "guardrails.yaml" in output
    assert all(playbook.id in output for playbook in policies.playbooks)
    assert "┃" in output


def test_show_piped_prints_one_line_per_file_and_playbook(runner: CliRunner) -> None:
    result = runner.invoke(policy_app, ["show", str(SHIPPED)])

    assert result.exit_code == 0, result.output
    policies = load_policy_set(SHIPPED)
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"policy version {policies.version} from ")
    assert len(lines) == 1 + len(policies.files) + len(policies.playbooks)
    playbook_lines = [line for line in lines if "priority " in line]
    assert [line.split(": ")[1] for line in playbook_lines] == [playbook.id for playbook in policies.playbooks]
    first = policies.playbooks[0]
    assert playbook_lines[0].startswith(f"{Path(first.source).relative_to(Path.cwd())}:1: {first.id}: priority ")
    assert "│" not in result.stdout


def test_show_json_has_version_files_and_playbooks_in_order(runner: CliRunner) -> None:
    result = runner.invoke(policy_app, ["show", str(SHIPPED), "--json"])

    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    policies = load_policy_set(SHIPPED)
    assert shown["version"] == policies.version
    assert set(shown["files"]) == set(policies.files)
    assert [row["id"] for row in shown["playbooks"]] == [playbook.id for playbook in policies.playbooks]
    assert [row["priority"] for row in shown["playbooks"]] == sorted(
        (row["priority"] for row in shown["playbooks"]), reverse=True
    )


def test_show_fails_on_a_broken_folder(runner: CliRunner, broken: Path) -> None:
    result = runner.invoke(policy_app, ["show", str(broken)])

    assert result.exit_code == 1
    assert "tonne" in result.output
