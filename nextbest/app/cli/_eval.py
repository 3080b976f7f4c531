"""`nextbest eval`: run the scenario suite, compare two reports, score a shadow run."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from evals.compare import compare_reports
from evals.gates import GATES_FILE, check_gates, load_gates
from evals.html import render_html
from evals.judge import JudgeScorer, JudgeSettings, brand_guide, open_judge
from evals.runner import EvalConfig, Report, run_suite
from evals.scenario import Scenario, load_scenarios
from evals.scorers import PolicyChecker, default_scorers
from evals.shadow import ShadowSummary, read_shadow_log, run_shadow, score_shadow
from nextbest.settings import default_policy_dir
from nextbest.world import load_world

from ._output import fail, for_people

if TYPE_CHECKING:
    from evals.learning_sim import SimResult

__all__ = ["eval_app"]

eval_app = typer.Typer(help="Score decisions against the eval scenarios.", no_args_is_help=True)


async def _run(cases: list[Scenario], options: dict[str, Any], judge: JudgeSettings | None, out: Path) -> Report:
    """The suite, with the judge's scorer added (and its HTTP client closed) when asked for."""
    if judge is None:
        return await run_suite(cases, **options)
    world, policy_dir = load_world(), options.pop("policy_dir") or default_policy_dir()
    checker = PolicyChecker(policy_dir / "guardrails.yaml", world)
    grader = open_judge(judge, judge.cache_dir(out))
    scorer = JudgeScorer(
        grader, pass_threshold=judge.pass_threshold, brand=brand_guide(policy_dir), units=checker.units
    )
    try:
        return await run_suite(
            cases, world=world, policy_dir=policy_dir, scorers=[*default_scorers(checker), scorer], **options
        )
    finally:
        await grader.aclose()


@eval_app.command("run")
def run(
    out: Annotated[Path, typer.Option(help="Where report.json and report.html go")],
    config: Annotated[EvalConfig, typer.Option(help="rules, or llm-fake (scripted model)")] = EvalConfig.RULES,
    repeat: Annotated[int, typer.Option(min=1, help="Runs per scenario; reports pass^k")] = 1,
    url: Annotated[
        str | None,
        typer.Option(help="Score a live server instead (its own clock and ledger: send_at windows are not checked)"),
    ] = None,
    api_key: Annotated[str | None, typer.Option(envvar="NEXTBEST_EVAL_API_KEY", help="Bearer key for --url")] = None,
    scenarios: Annotated[str | None, typer.Option(help="Glob of scenario jsonl files")] = None,
    policy_dir: Annotated[Path | None, typer.Option(help="Policy folder (default prompts/)")] = None,
    gates: Annotated[Path, typer.Option(help="Gate thresholds")] = GATES_FILE,
    judge: Annotated[
        bool, typer.Option("--judge", help="Also grade message copy with the LLM judge (NEXTBEST_JUDGE_*)")
    ] = False,
    learning: Annotated[
        int | None,
        typer.Option(
            "--learning",
            min=100,
            help="Also run the learning simulation, N decisions a policy: regret chart in the HTML, DIR/learning.json",
        ),
    ] = None,
) -> None:
    """Run the suite, write DIR/report.json and DIR/report.html, and fail when a gate fails."""
    console = Console()
    try:
        cases = load_scenarios(scenarios)
    except (OSError, ValueError) as exc:
        fail(str(exc))
    if not cases:
        fail(f"no scenarios in files matching {scenarios!r}")
    settings = JudgeSettings() if judge else None
    if settings is not None and not settings.model:
        fail("--judge needs NEXTBEST_JUDGE_MODEL (and _BASE_URL, _API_KEY)")
    with Progress(console=console, transient=True, disable=not for_people(console)) as bar:
        task = bar.add_task("scenarios", total=len(cases))
        options: dict[str, Any] = {
            "config": config,
            "repeat": repeat,
            "url": url,
            "policy_dir": policy_dir,
            "api_key": api_key,
            "progress": lambda _: bar.advance(task),
        }
        report = asyncio.run(_run(cases, options, settings, out))
    results = check_gates(report, load_gates(gates))
    out.mkdir(parents=True, exist_ok=True)
    simulated = _simulate(learning, out) if learning is not None else None
    (out / "report.json").write_text(report.model_dump_json(indent=2), encoding="utf-8")
    (out / "report.html").write_text(render_html(report, results, simulated), encoding="utf-8")
    for line in summary_lines(report, repeat):
        console.print(line, soft_wrap=True, highlight=False)
    console.print(f"report: {escape(str(out / 'report.html'))} (data: report.json)", soft_wrap=True, highlight=False)
    failed = [g for g in results if not g.passed]
    for gate in failed:
        failing = escape(", ".join(gate.failing_scenarios))
        console.print(
            f"[red]gate {gate.metric}: {gate.actual:.3f} < {gate.minimum}[/red] failing: {failing}", soft_wrap=True
        )
    if failed:
        raise typer.Exit(code=1)


def _simulate(decisions: int, out: Path) -> SimResult:
    """The learning simulation for `eval run --learning`, its figures written to DIR/learning.json."""
    import json

    from evals.learning_sim import SimPlan, figures, run_simulation

    result = asyncio.run(run_simulation(SimPlan(decisions=decisions)))
    (out / "learning.json").write_text(json.dumps(figures(result), indent=2), encoding="utf-8")
    return result


def summary_lines(report: Report, repeat: int) -> list[str]:
    """The run in a few short lines, one topic each, so that no terminal width splits a figure from its name."""
    m = report.metrics
    lines = [
        f"{m.scenarios} scenarios: pass {m.expectation_pass_rate:.3f}, pass^{repeat} {m.pass_hat_k:.3f}",
        f"compliance {m.guardrail_compliance:.3f}, schema {m.schema_validity:.3f}, "
        f"restraint precision {m.restraint_precision:.3f}, recall {m.restraint_recall:.3f}",
        f"latency p50 {m.latency_p50_ms:.1f} ms, p99 {m.latency_p99_ms:.1f} ms",
    ]
    if m.judge is not None:
        means = ", ".join(f"{k} {v:.2f}" for k, v in m.judge.criteria_means.items())
        lines.append(f"judge: {m.judge.judged} judged, {m.judge.errors} errors, pass {m.judge.pass_rate:.3f}; {means}")
    failing = [result.id for result in report.scenarios if not result.passed]
    lines.append(
        f"{len(failing)} scenario(s) did not pass: {', '.join(failing)}" if failing else "every scenario passed"
    )
    return [escape(line) for line in lines]


def _read_report(path: Path) -> Report:
    try:
        return Report.model_validate_json(path.read_text(encoding="utf-8"))
    except OSError as exc:
        fail(f"cannot read {path}: {exc}")
    except ValidationError as exc:
        fail(f"{path} is not an eval report.json: {exc}")


@eval_app.command("compare")
def compare(before: Path, after: Path) -> None:
    """Side by side per metric and scenario; regressions in red. Exits 1 when anything regressed."""
    old, new = _read_report(before), _read_report(after)
    result = compare_reports(old, new)
    table = Table("metric / scenario", escape(before.name), escape(after.name))
    for name, x, y, bad in result.metrics:
        table.add_row(escape(name), f"{x:.4g}", f"{y:.4g}", style="red" if bad else None)
    for sid, a, b, bad in result.scenarios:
        if a != b:
            table.add_row(escape(sid), escape(str(a)), escape(str(b)), style="red" if bad else "green")
    Console().print(table)
    if result.regressions:
        raise typer.Exit(code=1)


@eval_app.command("shadow-report")
def shadow_report(
    log: Annotated[
        Path,
        typer.Option(
            help="Shadow jsonl: the service's $NEXTBEST_DATA_DIR/shadow/decisions.jsonl, or one of ours; "
            "produced from the scenarios when missing"
        ),
    ],
    scenarios: Annotated[str | None, typer.Option(help="Glob of scenario jsonl files")] = None,
) -> None:
    """Agreement between the served rules decision and the model's shadow decision."""
    try:
        pairs = (
            read_shadow_log(log)
            if log.exists()
            else asyncio.run(run_shadow(load_scenarios(scenarios), load_world(), log))
        )
    except ValueError as exc:
        Console(stderr=True).print(f"[red]error:[/red] {exc}")
        raise typer.Exit(code=2) from exc
    summary = score_shadow(pairs)
    console = Console()
    console.print(
        f"{summary.pairs} pairs: action agreement {summary.action_agreement:.3f}, channel agreement "
        f"{summary.channel_agreement:.3f}, product overlap {summary.product_overlap:.3f}"
    )
    console.print(_use_case_table(summary))
    for change in summary.changes:
        console.print(f"  would change {change}")


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {count}" for name, count in sorted(counts.items(), key=lambda item: -item[1]))


def _use_case_table(summary: ShadowSummary) -> Table:
    table = Table("use case", "pairs", "agreed", "disagreed", "invalid", "skipped", "why", title="Per use case")
    for case in summary.use_cases:
        why = "; ".join(
            part
            for part in (
                f"differs on {_counts(case.disagreements)}" if case.disagreements else "",
                f"invalid: {_counts(case.invalid_reasons)}" if case.invalid_reasons else "",
            )
            if part
        )
        table.add_row(
            case.use_case,
            str(case.pairs),
            f"{case.rate(case.agreed):.0%}",
            f"{case.rate(case.disagreed):.0%}",
            f"{case.rate(case.invalid):.0%}",
            f"{case.rate(case.skipped):.0%}",
            why,
        )
    return table


# The reliability board lives in its own module; registered here so `nextbest eval models` sits beside the rest.
from ._eval_models import eval_models  # noqa: E402
from ._eval_ope import eval_learning, eval_ope, eval_proofs  # noqa: E402

eval_app.command("models")(eval_models)
eval_app.command("ope")(eval_ope)
eval_app.command("learning")(eval_learning)
eval_app.command("proofs")(eval_proofs)
