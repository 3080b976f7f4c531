"""The command line: demo, decide, and the sub-apps being registered."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nextbest.app.cli import app

EXAMPLES = Path(__file__).resolve().parents[4] / "examples"
runner = CliRunner()


def test_demo_json_decides_every_seed_use_case(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEXTBEST_DATA_DIR", str(tmp_path))
    result = runner.invoke(app, ["demo", "--json"])
    assert result.exit_code == 0, result.output
    decisions = json.loads(result.output)
    actions = [decision["action"] for decision in decisions]
    assert actions[:3] == ["message", "recommendation", "offer"]
    assert "content" in actions
    assert actions[-1] == "none"
    assert all(decision["decided_by"] == "rules" for decision in decisions)


def test_decide_prints_the_decision_for_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEXTBEST_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("NEXTBEST_HOLDOUT_PERCENT", "0")
    result = runner.invoke(app, ["decide", str(EXAMPLES / "nothing_fits.json")])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["action"] == "none"


def test_decide_rejects_a_bad_file_with_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"event": {"type": "page_view"}}')
    result = runner.invoke(app, ["decide", str(bad)])
    assert result.exit_code == 2
    assert "event_id" in result.output


def test_sub_apps_are_registered() -> None:
    result = runner.invoke(app, ["--help"])
    for command in ("serve", "decide", "demo", "catalog", "policy", "eval", "bench"):
        assert command in result.output
