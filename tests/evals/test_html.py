"""The CLI writes report.json and a self-contained report.html with every chart; gates set the exit code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evals.scenario import SCENARIO_DIR
from nextbest.app.cli._eval import eval_app


def _subset(tmp_path: Path, ids: set[str]) -> str:
    lines = [
        line
        for path in sorted(SCENARIO_DIR.glob("*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if json.loads(line)["id"] in ids
    ]
    target = tmp_path / "few.jsonl"
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(target)


def test_run_writes_reports_and_compare_flags_regressions(tmp_path: Path) -> None:
    scenarios = _subset(tmp_path, {"cart-01", "unknown-email_open", "geo-01"})
    result = CliRunner().invoke(eval_app, ["run", "--out", str(tmp_path / "a"), "--scenarios", scenarios])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "a" / "report.json").read_text(encoding="utf-8"))
    assert len(report["scenarios"]) == 3 and "metrics" in report
    html = (tmp_path / "a" / "report.html").read_text(encoding="utf-8")
    for section in ["Pass rate per use case", "Latency distribution", "Fallback reasons", "Guardrail verdict counts"]:
        assert section in html
    assert html.count("<svg") == 4 and "<script" not in html and "http" not in html.replace("http://www.w3.org", "")
    worse = dict(report)
    worse["scenarios"] = [{**s, "passed": False} for s in report["scenarios"]]
    (tmp_path / "b.json").write_text(json.dumps(worse), encoding="utf-8")
    compared = CliRunner().invoke(eval_app, ["compare", str(tmp_path / "a" / "report.json"), str(tmp_path / "b.json")])
    assert compared.exit_code == 1 and "cart-01" in compared.output


def test_gate_failure_exits_non_zero_and_lists_scenarios(tmp_path: Path) -> None:
    scenarios = _subset(tmp_path, {"session-05", "cart-01"})  # session-05 misses its expectation today
    gates = tmp_path / "gates.yaml"
    gates.write_text("expectation_pass_rate: 1.0\n", encoding="utf-8")
    result = CliRunner().invoke(
        eval_app, ["run", "--out", str(tmp_path / "o"), "--scenarios", scenarios, "--gates", str(gates)]
    )
    assert result.exit_code == 1
    assert "session-05" in result.output and "cart-01" not in result.output.split("failing:")[-1]
    lines = result.output.splitlines()
    assert "1 scenario(s) did not pass: session-05" in lines
    assert f"report: {tmp_path / 'o' / 'report.html'} (data: report.json)" in lines


def test_the_summary_keeps_each_figure_beside_its_name_at_80_columns(tmp_path: Path) -> None:
    scenarios = _subset(tmp_path, {"cart-01", "geo-01"})
    result = CliRunner().invoke(
        eval_app, ["run", "--out", str(tmp_path / "o"), "--scenarios", scenarios], env={"COLUMNS": "80"}
    )

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("2 scenarios: pass 1.000, pass^1 1.000")
    figures = "compliance 1.000, schema 1.000, restraint precision "
    assert any(line.startswith(figures) and ", recall " in line for line in lines)
    assert any(line.startswith("latency p50 ") and " ms, p99 " in line and line.endswith(" ms") for line in lines)
    assert "every scenario passed" in lines


def test_shadow_report_scores_agreement(tmp_path: Path) -> None:
    scenarios = _subset(tmp_path, {"cart-01", "xsell-01"})
    log = tmp_path / "shadow.jsonl"
    result = CliRunner().invoke(eval_app, ["shadow-report", "--log", str(log), "--scenarios", scenarios])
    assert result.exit_code == 0, result.output
    assert len(log.read_text(encoding="utf-8").splitlines()) == 2
    assert "2 pairs: action agreement" in result.output


def test_breaking_the_consent_guardrail_in_code_fails_the_run_and_names_the_scenarios(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import guardrails.consent

    scenarios = _subset(tmp_path, {"consent-01", "consent-02", "consent-03", "cart-01"})
    healthy = CliRunner().invoke(eval_app, ["run", "--out", str(tmp_path / "ok"), "--scenarios", scenarios])
    assert healthy.exit_code == 0, healthy.output
    # A regression in code, not in policy: every channel now counts as consented.
    monkeypatch.setattr(guardrails.consent, "channel_consented", lambda inp, channel: True)
    broken = CliRunner().invoke(eval_app, ["run", "--out", str(tmp_path / "bad"), "--scenarios", scenarios])
    assert broken.exit_code == 1
    failing = broken.output.split("failing:")[-1]
    assert "consent-0" in failing
    assert "cart-01" not in failing
