"""`nextbest eval ope`: what another policy would have earned on the logged decisions (IPS, SNIPS, DR)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from nextbest.contracts import DecisionRow, OpeReport
from nextbest.errors import NextbestError
from nextbest.settings import Settings

from ._output import fail, shown_path, warn

if TYPE_CHECKING:
    from nextbest.learning import ArmStats

__all__ = ["eval_learning", "eval_ope", "eval_proofs", "logged_rows", "ope_lines", "posteriors_for"]

console = Console()


async def posteriors_for(rows: list[DecisionRow]) -> dict[str, dict[tuple[str, str], ArmStats]]:
    """The configured arm store's statistics for every (playbook, segment, arm) the log mentions."""
    from nextbest.learning import open_arm_store

    store = await open_arm_store(Settings())
    found: dict[str, dict[tuple[str, str], ArmStats]] = {}
    try:
        seen = {(r.use_case, r.segment or "all"): set(r.masked_arms or ()) for r in rows if r.use_case}
        for row in rows:
            if row.use_case and row.masked_arms:
                seen[(row.use_case, row.segment or "all")].update(row.masked_arms)
        for (playbook, segment), arms in seen.items():
            stats = await store.stats(playbook, segment, sorted(arms)) if arms else {}
            found.setdefault(playbook, {}).update({(segment, arm): value for arm, value in stats.items()})
    finally:
        await store.close()
    return found


def logged_rows(log: Path) -> list[DecisionRow]:
    """The decisions of an export, each with the reward the ledger stored; a missing file ends the command."""
    from evals.ope.replay import read_decisions

    if not log.is_file():
        fail(f"no file {shown_path(log)}")
    return read_decisions(log)


def ope_lines(reports: dict[str, OpeReport]) -> list[str]:
    lines = []
    for name, report in reports.items():
        parts = ", ".join(f"{e.estimator} {e.value:.4f} [{e.low:.4f}, {e.high:.4f}]" for e in report.estimates)
        lines.append(
            f"{name}: logged {report.logged_value:.4f} over {report.rows:,} decisions; {parts};"
            f" effective sample size {report.effective_sample_size:,.0f} ({report.bootstrap_rounds} bootstrap rounds)"
        )
    return lines


def eval_ope(
    log: Annotated[
        Path, typer.Option("--log", help="Decisions: a `nextbest export decisions` file (JSON lines or Parquet)")
    ],
    policy: Annotated[
        str, typer.Option("--policy", help="A prompts/ folder, `rules` (the current rules) or `current`")
    ] = "current",
    as_json: Annotated[bool, typer.Option("--json", help="Print the reports as JSON")] = False,
) -> None:
    """Estimate the value another policy would have had on logged decisions, with 95% intervals."""
    from evals.ope.replay import evaluate_folder

    try:
        rows = logged_rows(log)
        folder = Settings().policy_dir if policy in ("rules", "current") else Path(policy)
        reports = evaluate_folder(folder, rows, asyncio.run(posteriors_for(rows)), rules=policy == "rules")
    except (NextbestError, OSError, ValueError) as exc:
        fail(str(exc))
    if not reports:
        fail(f"{shown_path(log)} holds no decisions of a learning playbook (with masked_arms and a propensity)")
    if as_json:
        typer.echo("{" + ",".join(f'"{k}":{v.model_dump_json()}' for k, v in reports.items()) + "}")
    else:
        for line in ope_lines(reports):
            console.print(line, highlight=False, soft_wrap=True)
    for name, report in reports.items():
        for message in report.warnings:
            warn(f"{name}: {message}")


def eval_learning(
    decisions: Annotated[int, typer.Option("--decisions", min=100, help="Decisions per policy")] = 20_000,
    html: Annotated[Path | None, typer.Option("--html", help="Write the regret chart and checks here")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON")] = False,
    redis_url: Annotated[
        str | None, typer.Option("--redis-url", help="Run on this empty Redis database instead of SQLite files")
    ] = None,
) -> None:
    """The learning simulation: learned, uniform and rules policies on hidden conversion rates."""
    import json

    from evals.learning_html import render_learning_html
    from evals.learning_sim import SimPlan, figures, run_simulation

    try:
        result = asyncio.run(run_simulation(SimPlan(decisions=decisions, redis_url=redis_url)))
    except NextbestError as exc:
        fail(str(exc))
    shown = figures(result)
    if as_json:
        typer.echo(json.dumps(shown))
    else:
        for key, value in shown.items():
            console.print(f"{key}: {value}", highlight=False, soft_wrap=True)
    if html is not None:
        html.write_text(render_learning_html(result), encoding="utf-8")
        console.print(f"wrote {shown_path(html)}", highlight=False)


def eval_proofs(
    only: Annotated[
        list[str] | None, typer.Option("--only", help="calibration, coverage or obd (repeat for several)")
    ] = None,
    obp_wheel: Annotated[Path, typer.Option("--obp-wheel", help="The obp 0.4.1 wheel (pip download)")] = Path(
        ".cache/obp/obp-0.4.1-py3-none-any.whl"
    ),
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON")] = False,
) -> None:
    """The README's proofs: propensity calibration, interval coverage, and the Open Bandit Dataset check."""
    import json

    from evals.proofs import proof_figures

    chosen = only or ["calibration", "coverage", "obd"]
    unknown = sorted(set(chosen) - {"calibration", "coverage", "obd"})
    if unknown:
        fail(f"--only {', '.join(unknown)}: choose calibration, coverage or obd")
    try:
        shown = asyncio.run(proof_figures(chosen, obp_wheel))
    except NextbestError as exc:
        fail(str(exc))
    if as_json:
        typer.echo(json.dumps(shown))
        return
    for key, value in shown.items():
        console.print(f"{key}: {value}", highlight=False, soft_wrap=True)
