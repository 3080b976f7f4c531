"""`nextbest eval models` against the fake OpenAI-compatible server: one board row per mode, JSON and HTML."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from benchmarks.fake_openai_server import start_fake_server
from evals.model_board import ModelBoard
from evals.scenario import SCENARIO_DIR
from nextbest.app.cli._eval import eval_app

IDS = {"cart-01", "xsell-01", "session-05"}


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory: pytest.TempPathFactory) -> str:
    lines = [
        line
        for path in sorted(SCENARIO_DIR.glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if json.loads(line)["id"] in IDS
    ]
    target = tmp_path_factory.mktemp("board") / "few.jsonl"
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(target)


@pytest.fixture(scope="module")
def honest() -> Iterator[str]:
    with start_fake_server(latency_ms=1, jitter_ms=0, seed=3) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def liar() -> Iterator[str]:
    # Invents ids on every answer and refuses json_schema, as llama.cpp does.
    with start_fake_server(latency_ms=1, jitter_ms=0, seed=3, invent_ids_rate=1.0, reject_json_schema=True) as url:
        yield url


def _board(url: str, scenarios: str, out: Path, modes: str = "json_schema,json_object,tools,prompt") -> ModelBoard:
    arguments = ["models", "--url", url, "--model", "fake-model", "--modes", modes, "--scenarios", scenarios]
    result = CliRunner().invoke(eval_app, [*arguments, "--out", str(out)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return ModelBoard.model_validate_json((out / "board.json").read_text(encoding="utf-8"))


def test_an_honest_model_is_accepted_in_every_mode(honest: str, scenarios: str, tmp_path: Path) -> None:
    board = _board(honest, scenarios, tmp_path)

    assert [row.mode for row in board.modes] == ["json_schema", "json_object", "tools", "prompt"]
    for row in board.modes:
        assert (row.decisions, row.asked) == (3, 3), row
        assert (row.schema_valid, row.accepted, row.hallucinated_id, row.timeouts) == (1.0, 1.0, 0.0, 0), row
        assert row.prompt_tokens > 0 and row.completion_tokens > 0
        assert 0 < row.latency_p50_ms <= row.latency_p95_ms
    page = (tmp_path / "board.html").read_text(encoding="utf-8")
    assert page.count("<tr>") == 5 and "<script" not in page


def test_invented_ids_and_a_refused_mode_show_on_the_board(liar: str, scenarios: str, tmp_path: Path) -> None:
    board = _board(liar, scenarios, tmp_path, modes="json_schema,prompt")

    schema, prompt = board.modes
    assert schema.accepted == 0.0 and schema.fallback_reasons.get("model_error") == 3
    assert prompt.hallucinated_id == 1.0 and prompt.accepted == 0.0
    assert prompt.repairs == 3  # one repair turn per decision, refused again


def test_an_unknown_mode_is_a_clear_usage_error(scenarios: str, tmp_path: Path) -> None:
    arguments = ["models", "--url", "http://127.0.0.1:9/v1", "--model", "m", "--modes", "json,prompt"]
    result = CliRunner().invoke(eval_app, [*arguments, "--scenarios", scenarios, "--out", str(tmp_path)])

    assert result.exit_code == 2
    assert "'json' is not a valid OutputMode" in result.output
