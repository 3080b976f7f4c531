"""`nextbest eval run --url` against a real `nextbest serve` subprocess.

The server decides on its own clock, holdout setting and one shared ledger. The scenarios below do not
depend on those, except quiet-01, whose send_at window is marked not applicable in remote mode.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evals.scenario import Scenario
from nextbest.app.cli._eval import eval_app

# Global opt-out, an event with no playbook, an in-app cross-sell, on-site content, and one deferred email.
REMOTE = {"consent-optout", "unknown-email_open", "xsell-01", "return-01", "quiet-01"}


@pytest.mark.slow
def test_eval_run_scores_a_live_server(
    live_server: str, subset: Callable[[set[str]], str], suite: dict[str, Scenario], tmp_path: Path
) -> None:
    # One customer each: the server's ledger is shared, so two scenarios for one customer could cap each other.
    assert len({suite[s].request.event.user_id for s in REMOTE}) == len(REMOTE)
    scenarios, out = subset(REMOTE), tmp_path / "out"
    args = ["run", "--url", live_server, "--api-key", "secret", "--scenarios", scenarios, "--out", str(out)]
    result = CliRunner().invoke(eval_app, args)
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["config"] == "remote"
    by_id = {s["id"]: s for s in report["scenarios"]}
    assert set(by_id) == REMOTE
    failing = {sid: [d for sc in s["scores"].values() for d in sc["detail"]] for sid, s in by_id.items()}
    assert all(s["passed"] for s in by_id.values()), failing
    # The decisions came over HTTP: the runner tags event ids so reruns are not served from idempotency.
    assert all(s["decision"]["event_id"].startswith(f"evt-{sid}-r0-") for sid, s in by_id.items())
    assert {s["action"] for s in by_id.values()} >= {"none", "recommendation", "content", "message"}
    assert by_id["quiet-01"]["scores"]["expectation"]["note"] == "send_at window n/a: server clock"
    assert report["metrics"]["schema_validity"] == 1.0 and report["metrics"]["guardrail_compliance"] == 1.0


@pytest.mark.slow
def test_a_rejected_key_fails_the_schema_gate(
    live_server: str, subset: Callable[[set[str]], str], tmp_path: Path
) -> None:
    args = ["run", "--url", live_server, "--api-key", "wrong", "--scenarios", subset({"xsell-01"})]
    result = CliRunner().invoke(eval_app, [*args, "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert report["metrics"]["schema_validity"] == 0.0
