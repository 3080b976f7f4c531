"""`nextbest report lift` over the configured (SQLite) ledger: text, JSON and HTML."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from guardrails.ledger import LEDGER_FILE, SqliteLedger
from nextbest.app.cli import app
from nextbest.clock import FixedClock
from nextbest.contracts import ActionKind, DecidedBy, Decision, FeedbackOutcome

runner = CliRunner()
WHEN = datetime(2028, 9, 10, 11, 0, tzinfo=UTC)


async def _fill(path: Path) -> None:
    ledger = SqliteLedger(path, clock=FixedClock(WHEN))
    try:
        for i in range(24):
            decision = Decision(
                decision_id=f"cli-d{i}",
                event_id=f"cli-e{i}",
                user_id=f"member{i}",
                use_case="price_drop" if i % 2 else "welcome_series",
                action=ActionKind.NONE,
                decided_by=DecidedBy.RULES,
                policy_version="v1",
                decided_at=WHEN,
                holdout=i < 4,
            )
            await ledger.commit(decision, subject_id=f"member{i}", request_fingerprint="x")
            if i % 3 == 0:
                await ledger.record_feedback(decision.decision_id, FeedbackOutcome.CONVERTED, WHEN + timedelta(hours=1))
    finally:
        await ledger.close()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NEXTBEST_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("NEXTBEST_HOLDOUT_PERCENT", "20")
    asyncio.run(_fill(tmp_path / LEDGER_FILE))
    return tmp_path


def test_json_and_html(data_dir: Path) -> None:
    page = data_dir / "lift.html"
    result = runner.invoke(app, ["report", "lift", "--since", "2028-09-01", "--json", "--html", str(page)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output[: result.output.rindex("}") + 1])
    assert [p["playbook"] for p in report["playbooks"]] == ["price_drop", "welcome_series"]
    assert report["holdout_percent"] == 20
    welcome = report["playbooks"][1]
    assert (welcome["treatment_customers"], welcome["holdout_customers"]) == (10, 2)
    assert page.read_text().count("<svg") == 2


def test_text_for_one_playbook(data_dir: Path) -> None:
    result = runner.invoke(app, ["report", "lift", "--since", "2028-09-01", "--playbook", "price_drop"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("price_drop: converted")
    assert "welcome_series" not in result.output


def test_a_window_after_the_log_is_empty_and_bad_input_fails_clearly(data_dir: Path) -> None:
    later = runner.invoke(app, ["report", "lift", "--since", "2029-01-01"])
    assert later.exit_code == 0
    assert "no decisions" in later.output
    bad = runner.invoke(app, ["report", "lift", "--since", "soon"])
    assert bad.exit_code == 2
    assert "--since 'soon'" in bad.output
    folder = runner.invoke(app, ["report", "lift", "--html", str(data_dir)])
    assert folder.exit_code == 2


def test_learning_reset_forgets_one_arm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nextbest.learning import ARMS_FILE, SqliteArmStore

    monkeypatch.setenv("NEXTBEST_DATA_DIR", str(tmp_path))

    async def seed() -> None:
        store = SqliteArmStore(tmp_path / ARMS_FILE)
        for segment in ("tier=gold", "tier=basic"):
            await store.serve("price_drop", segment, "push")
            await store.serve("price_drop", segment, "email")
        await store.close()

    asyncio.run(seed())
    result = runner.invoke(app, ["learning", "reset", "price_drop", "--arm", "push"])
    assert result.exit_code == 0, result.output
    assert "forgot arm push (2 arm-segment statistics)" in result.output
