"""`nextbest eval run --judge` end to end on a respx-mocked judge, and shadow-report on the service's log."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from typer.testing import CliRunner

from agent.shadow import ShadowLog
from nextbest.app.cli._eval import eval_app
from nextbest.contracts import ActionKind, Channel, DecidedBy, Decision

JUDGE_URL = "http://judge.test/v1"
VERDICT = {"relevance": 0.9, "tone": 0.7, "no_false_claims": 0.8, "rationale": "Concrete and correct."}


@pytest.fixture
def judge_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[respx.Route]:
    monkeypatch.setenv("NEXTBEST_JUDGE_MODEL", "judge-model")
    monkeypatch.setenv("NEXTBEST_JUDGE_BASE_URL", JUDGE_URL)
    monkeypatch.setenv("NEXTBEST_JUDGE_MAX_RETRIES", "0")
    monkeypatch.delenv("NEXTBEST_DATA_DIR", raising=False)  # so the cache sits beside the report
    answer = {
        "id": "c",
        "object": "chat.completion",
        "created": 0,
        "model": "judge-model",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": json.dumps(VERDICT)}, "finish_reason": "stop"}
        ],
    }
    with respx.mock(base_url=JUDGE_URL, assert_all_called=False) as mock:
        yield mock.post("/chat/completions").mock(return_value=httpx.Response(200, json=answer))


def test_eval_run_judge_reports_means_and_reuses_its_cache(
    judge_env: respx.Route, subset: Callable[[set[str]], str], tmp_path: Path
) -> None:
    scenarios = subset({"cart-01", "xsell-01", "unknown-email_open"})  # the last decides none: nothing to judge
    out = tmp_path / "out"
    first = CliRunner().invoke(eval_app, ["run", "--judge", "--scenarios", scenarios, "--out", str(out)])
    assert first.exit_code == 0, first.output
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    judge = report["metrics"]["judge"]
    messages = sum(1 for s in report["scenarios"] if (s["decision"] or {}).get("message"))
    assert messages >= 1 and judge["judged"] == messages == judge_env.call_count
    assert judge["not_applicable"] == 3 - messages and judge["errors"] == 0
    assert judge["criteria_means"] == {k: v for k, v in VERDICT.items() if k != "rationale"}
    assert "judge:" in first.output
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Judge mean score per criterion" in html and "Concrete and correct." in html
    assert any((out / "judge-cache").rglob("*.json"))
    again = CliRunner().invoke(eval_app, ["run", "--judge", "--scenarios", scenarios, "--out", str(out)])
    assert again.exit_code == 0, again.output
    assert judge_env.call_count == messages  # every verdict came from the cache


@pytest.mark.slow
def test_eval_run_learning_puts_the_labelled_regret_chart_in_the_report(
    subset: Callable[[set[str]], str], tmp_path: Path
) -> None:
    out = tmp_path / "with-learning"
    args = ["run", "--scenarios", subset({"cart-01"}), "--out", str(out), "--learning", "150"]
    result = CliRunner().invoke(eval_app, args)
    assert result.exit_code == 0, result.output
    html = (out / "report.html").read_text(encoding="utf-8")
    chart = html[html.index("Cumulative regret per policy") :]
    assert chart.count("<polyline") == 3
    for label in ("decisions served", "cumulative regret", "learned:", "uniform:", "rules:"):
        assert label in chart, label
    figures = json.loads((out / "learning.json").read_text(encoding="utf-8"))
    assert figures["decisions"] == 150 and set(figures["regret"]) == {"learned", "uniform", "rules"}
    plain = CliRunner().invoke(eval_app, ["run", "--scenarios", subset({"cart-01"}), "--out", str(tmp_path / "p")])
    assert plain.exit_code == 0 and "Cumulative regret" not in (tmp_path / "p" / "report.html").read_text()
    assert CliRunner().invoke(eval_app, [*args[:-1], "5"]).exit_code == 2  # fewer than 100 decisions


def test_eval_run_judge_without_a_model_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, subset: Callable[[set[str]], str], tmp_path: Path
) -> None:
    monkeypatch.delenv("NEXTBEST_JUDGE_MODEL", raising=False)
    result = CliRunner().invoke(
        eval_app, ["run", "--judge", "--scenarios", subset({"cart-01"}), "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert not (tmp_path / "report.json").exists()


def _decision(event_id: str, **update: Any) -> Decision:
    base = Decision(
        decision_id=f"dec_{event_id}",
        event_id=event_id,
        user_id="C0001",
        action=ActionKind.RECOMMENDATION,
        channel=Channel.WEB,
        decided_by=DecidedBy.RULES,
        policy_version="t",
        decided_at=datetime(2026, 11, 28, 12, tzinfo=UTC),
    )
    return base.model_copy(update=update)


async def test_shadow_report_reads_the_services_log(tmp_path: Path) -> None:
    log = tmp_path / "shadow" / "decisions.jsonl"
    writer = ShadowLog(log)  # the service's own writer, so the format cannot drift apart
    await writer.record(_decision("evt-1"), _decision("evt-1", decided_by=DecidedBy.LLM))
    await writer.record(_decision("evt-2"), _decision("evt-2", action=ActionKind.MESSAGE, channel=Channel.EMAIL))
    assert "scenario_id" not in log.read_text(encoding="utf-8")
    result = CliRunner().invoke(eval_app, ["shadow-report", "--log", str(log)])
    assert result.exit_code == 0, result.output
    assert "2 pairs: action agreement 0.500, channel agreement 0.500" in result.output
    assert "evt-2: recommendation/web -> message/email" in result.output
    log.write_text(log.read_text(encoding="utf-8") + "{not json\n", encoding="utf-8")
    broken = CliRunner().invoke(eval_app, ["shadow-report", "--log", str(log)])
    assert broken.exit_code == 2 and "decisions.jsonl:3: not a shadow record" in broken.output.replace("\n", "")
