"""`nextbest policy preview` through typer's CliRunner: a table or JSON of changed decisions, clean errors."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.policies import load_policy_set
from evals.scenario import SCENARIO_DIR
from nextbest.app.cli._policy import policy_app
from nextbest.settings import default_policy_dir

SHIPPED = default_policy_dir()
EXAMPLE = Path(__file__).resolve().parents[4] / "examples" / "cart_abandonment.json"
FEW = {"cart-04", "xsell-01"}


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("NEXTBEST_POLICY_DIR", str(SHIPPED))
    return CliRunner()


@pytest.fixture
def scenarios(tmp_path: Path) -> str:
    """Two scenarios from the committed suite in a file of their own, so the command stays quick."""
    lines = (SCENARIO_DIR / "seed_use_cases.jsonl").read_text(encoding="utf-8").splitlines()
    chosen = [line for line in lines if json.loads(line)["id"] in FEW]
    assert len(chosen) == len(FEW)
    path = tmp_path / "few.jsonl"
    path.write_text("\n".join(chosen) + "\n", encoding="utf-8")
    return str(path)


@pytest.fixture
def push_first(tmp_path: Path) -> Path:
    root = Path(shutil.copytree(SHIPPED, tmp_path / "prompts"))
    playbook = root / "playbooks" / "cart_abandonment.md"
    text = playbook.read_text(encoding="utf-8")
    playbook.write_text(text.replace("channels: [email, push, sms]", "channels: [push, email, sms]"), encoding="utf-8")
    return root


def test_json_lists_the_changed_decisions_of_scenarios_and_requests(
    runner: CliRunner, scenarios: str, push_first: Path
) -> None:
    args = ["preview", "--against", str(SHIPPED), "--policy-dir", str(push_first), "--scenarios", scenarios]
    result = runner.invoke(policy_app, [*args, "--requests", str(EXAMPLE), "--json"])

    assert result.exit_code == 0, result.output
    preview = json.loads(result.stdout)
    changed = {c["scenario"]: c["changes"] for c in preview["changed"]}
    channel = {"field": "channel", "before": "email", "after": "push"}
    assert set(changed) == {"cart-04", "cart_abandonment.json"}
    assert changed["cart-04"] == [channel]
    # The example's best offer is email-only, so moving to push also changes the offer and its copy line.
    assert changed["cart_abandonment.json"][0] == channel
    offer = {"field": "offer", "before": "OFF-CART-15", "after": "OFF-CART-10"}
    assert offer in changed["cart_abandonment.json"]
    assert {c["field"] for c in changed["cart_abandonment.json"]} == {"channel", "offer", "message.body", "reasons"}
    assert preview["decisions"] == len(FEW) + 1
    assert preview["before"]["version"] == load_policy_set(SHIPPED).version
    assert preview["after"]["version"] == load_policy_set(push_first).version


def test_the_table_shows_before_and_after_with_both_versions(
    runner: CliRunner, scenarios: str, push_first: Path
) -> None:
    result = runner.invoke(
        policy_app, ["preview", "--against", str(SHIPPED), "--policy-dir", str(push_first), "--scenarios", scenarios]
    )

    assert result.exit_code == 0, result.output
    assert f"before: {load_policy_set(SHIPPED).version}" in result.output
    assert f"after: {load_policy_set(push_first).version}" in result.output
    assert "files: changed playbooks/cart_abandonment.md" in result.output
    row = next(line for line in result.output.splitlines() if "cart-04" in line)
    assert [cell.strip() for cell in row.split("│")[1:5]] == ["cart-04", "channel", "email", "push"]
    assert "xsell-01" not in result.output
    assert "1 of 2 decision(s) change" in result.output


def test_identical_folders_say_identical_at_once_without_deciding(
    runner: CliRunner, scenarios: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def must_not_decide(*args: object, **kwargs: object) -> None:
        raise AssertionError("identical folders were decided")

    monkeypatch.setattr("nextbest.app.cli._policy.preview_policies", must_not_decide)
    same = Path(shutil.copytree(SHIPPED, tmp_path / "same"))  # another folder, the same content

    result = runner.invoke(policy_app, ["preview", "--against", str(same), "--scenarios", scenarios])
    as_json = runner.invoke(policy_app, ["preview", "--against", str(same), "--scenarios", scenarios, "--json"])

    assert result.exit_code == 0, result.output
    assert "files: identical" in result.output
    assert "identical: both versions are the same files, so no decision can change" in result.output
    assert "Decisions that change" not in result.output
    assert as_json.exit_code == 0, as_json.output
    preview = json.loads(as_json.stdout)
    assert preview["files_changed"] == [] and preview["changed"] == [] and preview["decisions"] == 0
    assert preview["before"]["version"] == preview["after"]["version"] == load_policy_set(SHIPPED).version


def test_one_changed_byte_is_not_identical(runner: CliRunner, scenarios: str, tmp_path: Path) -> None:
    edited = Path(shutil.copytree(SHIPPED, tmp_path / "edited"))
    brand = edited / "brand.yaml"
    brand.write_text(brand.read_text(encoding="utf-8") + "\n", encoding="utf-8")

    result = runner.invoke(
        policy_app, ["preview", "--against", str(SHIPPED), "--policy-dir", str(edited), "--scenarios", scenarios]
    )

    assert result.exit_code == 0, result.output
    assert "files: changed brand.yaml" in result.output
    assert "identical:" not in result.output
    assert "0 of 2 decision(s) change" in result.output


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--against", str(SHIPPED), "--scenarios", "/nonexistent/*.jsonl"], "no scenarios in files matching"),
        (["--against", str(SHIPPED), "--requests", "/nonexistent/*.json"], "no request files match"),
    ],
)
def test_what_cannot_be_read_exits_2_without_a_traceback(runner: CliRunner, extra: list[str], message: str) -> None:
    result = runner.invoke(policy_app, ["preview", *extra])

    assert result.exit_code == 2
    assert message in " ".join(result.stderr.split())
    assert result.stdout == ""
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_broken_folder_exits_2_naming_file_and_line(runner: CliRunner, scenarios: str, tmp_path: Path) -> None:
    root = Path(shutil.copytree(SHIPPED, tmp_path / "broken"))
    playbook = root / "playbooks" / "cart_abandonment.md"
    playbook.write_text(playbook.read_text(encoding="utf-8").replace("tone: warm", "tonne: warm"), encoding="utf-8")

    result = runner.invoke(
        policy_app, ["preview", "--against", str(SHIPPED), "--policy-dir", str(root), "--scenarios", scenarios]
    )

    assert result.exit_code == 2
    assert "playbooks/cart_abandonment.md:13: tonne: unknown key" in " ".join(result.stderr.split())


def test_an_unknown_revision_exits_2_without_a_traceback(runner: CliRunner, tmp_path: Path) -> None:
    prompts = Path(shutil.copytree(SHIPPED, tmp_path / "repo" / "prompts"))
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    for args in (["init", "-q"], ["add", "prompts"], ["commit", "-q", "-m", "policy"]):
        subprocess.run([*git, *args], cwd=prompts.parent, check=True, capture_output=True)

    result = runner.invoke(policy_app, ["preview", "--against", "no-such-rev", "--policy-dir", str(prompts)])

    assert result.exit_code == 2
    assert "no-such-rev: no such folder, nor a git revision" in " ".join(result.stderr.split())
    assert result.stdout == ""
    assert "Traceback" not in result.output
