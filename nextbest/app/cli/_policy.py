"""`nextbest policy lint|show|preview`: check the policy folder before it ships, inspect it, preview its effect."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import JsonValue
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table
from rich.text import Text

from agent.policies import lint_policy_dir, load_policy_set
from evals.ope.replay import evaluate_folder
from evals.preview import PolicyFolder, PolicyPreview, PolicySide, load_requests, policy_folder_at, preview_policies
from evals.runner import EvalConfig
from evals.scenario import Scenario, load_scenarios
from nextbest.contracts import DecisionRow
from nextbest.errors import NextbestError, PolicyError
from nextbest.settings import Settings

from ._eval_ope import logged_rows, ope_lines, posteriors_for
from ._loaded import loaded_world
from ._output import err, fail, for_people
from ._policy_output import findings_table, lint_lines, lint_summary, policy_show, show_lines, show_tables, tokens_table

__all__ = ["policy_app"]

policy_app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="Check and inspect the policy folder (playbooks, brand, guardrails) that marketers edit.",
)

PathArgument = Annotated[
    Path | None, typer.Argument(help="The policy folder; defaults to NEXTBEST_POLICY_DIR (prompts/)")
]


@policy_app.command()
def lint(
    path: PathArgument = None,
    budget: Annotated[
        int | None, typer.Option(min=1, help="Prompt token budget; defaults to NEXTBEST_PROMPT_TOKEN_BUDGET")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
) -> None:
    """Report every mistake in the policy folder as file:line; exit 1 if any is an error.

    On a terminal the findings are a table; piped or in CI, one `path:line: key: message` a line.
    """
    settings = Settings()
    root = path or settings.policy_dir
    if not root.is_dir():
        fail(f"no policy folder at {root}")
    from agent.prompt import PromptTokens

    report = lint_policy_dir(
        root, world=loaded_world(settings), token_budget=budget or settings.prompt_token_budget, sizer=PromptTokens()
    )
    console = Console()
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
    elif not for_people(console):
        for line in lint_lines(report):
            typer.echo(line)
    else:
        if report.findings:
            console.print(findings_table(report, root))
        if report.tokens:
            console.print(tokens_table(report))
        summary = escape(lint_summary(report))
        console.print(f"[green]{summary}[/green]" if report.ok else f"[red]{summary}[/red]")
    if not report.ok:
        raise typer.Exit(1)


@policy_app.command()
def show(
    path: PathArgument = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the version, files and playbooks as JSON")] = False,
) -> None:
    """Print the policy version, its files and its playbooks in the order they are tried."""
    root = path or Settings().policy_dir
    if not root.is_dir():
        fail(f"no policy folder at {root}")
    try:
        shown = policy_show(load_policy_set(root))
    except PolicyError as exc:
        fail(exc.location_text(), 1, hint="run `nextbest policy lint` for every problem")
    console = Console()
    if as_json:
        typer.echo(shown.model_dump_json(indent=2))
    elif not for_people(console):
        for line in show_lines(shown):
            typer.echo(line)
    else:
        console.print(f"policy version [bold]{shown.version}[/bold] from {escape(shown.root)}")
        for table in show_tables(shown):
            console.print(table)


def _shown(value: JsonValue) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "(none)"
    return value if isinstance(value, str) else json.dumps(value)


def _print_preview(preview: PolicyPreview, console: Console) -> None:
    for name, side in (("before", preview.before), ("after", preview.after)):
        console.print(f"{name}: [bold]{side.version}[/bold] {escape(side.label)}")
    console.print("files: " + escape("; ".join(preview.files_changed) or "identical"))
    if _identical(preview):
        console.print("identical: both versions are the same files, so no decision can change")
        return
    if preview.changed:
        table = Table(title=f"Decisions that change ({preview.config})", title_justify="left", show_lines=True)
        table.add_column("scenario", no_wrap=True)
        table.add_column("field", no_wrap=True)
        for column in ("before", "after"):
            table.add_column(column, overflow="fold")
        for decision in preview.changed:
            for index, change in enumerate(decision.changes):
                label = decision.scenario if index == 0 else ""
                before, after = Text(_shown(change.before), style="red"), Text(_shown(change.after), style="green")
                table.add_row(Text(label), change.field, before, after)
        console.print(table)
    console.print(f"{len(preview.changed)} of {preview.decisions} decision(s) change")
    for label, reports in preview.value_estimates.items():
        for line in ope_lines(reports):
            console.print(f"estimated value, {label}: {escape(line)}", soft_wrap=True)


def _moments(scenarios: str | None, requests: str | None) -> list[Scenario]:
    moments = load_scenarios(scenarios)
    if scenarios is not None and not moments:
        raise ValueError(f"no scenarios in files matching {scenarios!r}")
    return moments + (load_requests(requests) if requests else [])


def _identical(preview: PolicyPreview) -> bool:
    return preview.before.version == preview.after.version and not preview.files_changed


def _same_files(before: PolicyFolder, after: PolicyFolder, config: EvalConfig) -> PolicyPreview | None:
    """The preview of two folders with the same content hash, at once: deciding both would show nothing."""
    old, new = load_policy_set(before.path), load_policy_set(after.path)
    if old.version != new.version:
        return None
    return PolicyPreview(
        config=config.value,
        before=PolicySide(label=before.label, root=str(before.path), version=old.version),
        after=PolicySide(label=after.label, root=str(after.path), version=new.version),
        files_changed=[],
        decisions=0,
        changed=[],
    )


async def _preview(
    against: str,
    current: Path,
    moments: list[Scenario],
    config: EvalConfig,
    progress: Progress,
    logged: list[DecisionRow] | None = None,
) -> PolicyPreview:
    with policy_folder_at(against, current) as before:
        same = _same_files(before, PolicyFolder(current, str(current)), config)
        if same is not None:
            return same
        task = progress.add_task("deciding under both versions", total=2 * len(moments))
        result = await preview_policies(
            moments,
            before=before,
            after=PolicyFolder(current, str(current)),
            config=config,
            progress=lambda _: progress.advance(task),
        )
        if logged:
            posteriors = await posteriors_for(logged)
            result.value_estimates = {
                side: evaluate_folder(folder, logged, posteriors)
                for side, folder in (("before", before.path), ("after", current))
            }
        return result


@policy_app.command()
def preview(
    against: Annotated[
        str, typer.Option(help="The version to compare with: another policy folder, or a git revision (HEAD, main)")
    ],
    policy_dir: Annotated[
        Path | None, typer.Option(help="The edited policy folder; defaults to NEXTBEST_POLICY_DIR (prompts/)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the preview as JSON")] = False,
    scenarios: Annotated[str | None, typer.Option(help="Glob of scenario jsonl files; default the eval suite")] = None,
    requests: Annotated[str | None, typer.Option(help="Glob of request JSON files to decide as well")] = None,
    config: Annotated[EvalConfig, typer.Option(help="rules, or llm-fake (scripted model)")] = EvalConfig.RULES,
    log: Annotated[
        Path | None, typer.Option("--log", help="Decisions export: estimate each version's value on it (OPE)")
    ] = None,
) -> None:
    """Decide the eval scenarios under both versions and show every decision that changes, before → after.

    Exits 0 whether or not decisions change; 2 when a folder, revision or file cannot be read.
    """
    current = policy_dir or Settings().policy_dir
    logged = logged_rows(log) if log is not None else None
    try:
        moments = _moments(scenarios, requests)
        with Progress(console=err, transient=True) as progress:
            result = asyncio.run(_preview(against, current, moments, config, progress, logged))
    except (NextbestError, OSError, ValueError) as exc:
        fail(str(exc))
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
    else:
        _print_preview(result, Console())
