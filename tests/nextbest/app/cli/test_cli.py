"""The command line: demo, decide, and the sub-apps being registered."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from nextbest.app.cli import app
from nextbest.app.cli._app import index_summary
from nextbest.app.cli._output import fail
from tools.catalog import IndexStats

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
    assert "[type=missing" in result.output  # pydantic's brackets are not taken for markup


def test_sub_apps_are_registered() -> None:
    result = runner.invoke(app, ["--help"])
    for command in ("serve", "decide", "demo", "catalog", "policy", "eval", "bench", "report"):
        assert command in result.output


def test_fail_prints_square_brackets_as_written(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(typer.Exit) as exit_:
        fail("the minilm embedding needs: pip install 'nextbest[semantic]'", hint="see [project.optional-dependencies]")

    assert exit_.value.exit_code == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "error: the minilm embedding needs: pip install 'nextbest[semantic]'" in err
    assert "see [project.optional-dependencies]" in err


def test_the_index_summary_is_a_sentence_not_json() -> None:
    fresh = index_summary(IndexStats(added=12, unchanged=3, removed=1, seconds=0.5), "lexical")
    same = index_summary(IndexStats(unchanged=1008, seconds=0.25), "minilm")

    assert fresh == "catalog indexed: 12 added, 0 updated, 3 unchanged, 1 removed (lexical embedding, 0.50 s)"
    assert same == "catalog up to date: 1,008 products unchanged (minilm embedding, 0.25 s)"


def test_catalog_index_twice_says_up_to_date_and_leaves_no_progress_bar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEXTBEST_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("NEXTBEST_EMBEDDING", "lexical")
    first = runner.invoke(app, ["catalog", "index"])
    again = runner.invoke(app, ["catalog", "index"])

    assert first.exit_code == 0 and again.exit_code == 0, first.output + again.output
    assert first.output.startswith("catalog indexed: ") and " added, 0 updated, 0 unchanged" in first.output
    assert again.output.startswith("catalog up to date: ") and "products unchanged (lexical embedding" in again.output
    assert "0%" not in again.output and "-:--:--" not in again.output and "{" not in again.output
