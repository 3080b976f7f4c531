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
from evals.preview import PolicyFolder, PolicyPreview, load_requests, policy_folder_at, preview_policies
from evals.runner import EvalConfig
from evals.scenario import Scenario, load_scenarios
from nextbest.errors import NextbestError, PolicyError
from nextbest.policy import Finding, LintReport, Severity
from nextbest.settings import Settings
from nextbest.world import World, load_world

__all__ = ["policy_app"]

policy_app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="Check and inspect the policy folder (playbooks, brand, guardrails) that marketers edit.",
)

PathArgument = Annotated[
    Path | None, typer.Argument(help="The policy folder; defaults to NEXTBEST_POLICY_DIR (prompts/)")
]


def _load_world(err: Console) -> World | None:
    try:
        return load_world()
    except (NextbestError, OSError, ValueError) as exc:
        err.print(f"[yellow]warning:[/yellow] demo world unavailable, offer and category checks skipped: {exc}")
        return None


def _where(finding: Finding, root: Path) -> str:
    path = Path(finding.file)
    shown = str(path.relative_to(root)) if path.is_relative_to(root) else finding.file
    return f"{shown}:{finding.line}" if finding.line is not None else shown


def _findings_table(report: LintReport, root: Path) -> Table:
    table = Table(title="Findings", title_justify="left")
    for column in ("", "where", "key", "message"):
        table.add_column(column, overflow="fold")
    for finding in report.findings:
        mark = "[red]error[/red]" if finding.severity is Severity.ERROR else "[yellow]warning[/yellow]"
        table.add_row(mark, _where(finding, root), finding.key or "", finding.message)
    return table


def _tokens_table(report: LintReport) -> Table:
    table = Table(title=f"Sample prompt size (budget {report.token_budget} tokens)", title_justify="left")
    table.add_column("playbook")
    table.add_column("tokens", justify="right")
    table.add_column("of budget", justify="right")
    for playbook_id, tokens in sorted(report.tokens.items()):
        share = tokens / report.token_budget
        style = "red" if tokens > report.token_budget else ""
        table.add_row(playbook_id, f"[{style}]{tokens}[/{style}]" if style else str(tokens), f"{share:.0%}")
    return table


@policy_app.command()
def lint(
    path: PathArgument = None,
    budget: Annotated[
        int | None, typer.Option(min=1, help="Prompt token budget; defaults to NEXTBEST_PROMPT_TOKEN_BUDGET")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
) -> None:
    """Report every mistake in the policy folder as file:line; exit 1 if any is an error."""
    settings = Settings()
    root = path or settings.policy_dir
    err = Console(stderr=True)
    from agent.prompt import PromptTokens

    report = lint_policy_dir(
        root, world=_load_world(err), token_budget=budget or settings.prompt_token_budget, sizer=PromptTokens()
    )
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
    else:
        console = Console()
        if report.findings:
            console.print(_findings_table(report, root))
        if report.tokens:
            console.print(_tokens_table(report))
        summary = f"{len(report.errors)} error(s), {len(report.warnings)} warning(s)"
        console.print(
            f"[green]ok[/green]: {summary}, version {report.version}" if report.ok else f"[red]{summary}[/red]"
        )
    if not report.ok:
        raise typer.Exit(1)


@policy_app.command()
def show(path: PathArgument = None) -> None:
    """Print the policy version, its files and its playbooks in the order they are tried."""
    root = path or Settings().policy_dir
    console = Console()
    try:
        policies = load_policy_set(root)
    except PolicyError as exc:
        Console(stderr=True).print(f"[red]error:[/red] {exc}\nrun `nextbest policy lint` for every problem")
        raise typer.Exit(1) from exc
    console.print(f"policy version [bold]{policies.version}[/bold] from {policies.root}")
    files = Table(title="Files", title_justify="left")
    files.add_column("file")
    files.add_column("lines", justify="right")
    for name, text in sorted(policies.files.items()):
        files.add_row(name, str(text.count("\n") + 1))
    console.print(files)
    playbooks = Table(title="Playbooks (highest priority first)", title_justify="left")
    for column in ("priority", "id", "title", "events", "action", "channels", "offer pools", "enabled"):
        playbooks.add_column(column, overflow="fold")
    for playbook in policies.playbooks:
        playbooks.add_row(
            str(playbook.priority),
            playbook.id,
            playbook.title,
            ", ".join(playbook.trigger.event_types),
            playbook.action.value,
            ", ".join(channel.value for channel in playbook.channels),
            ", ".join(playbook.offer_pools) or "-",
            "yes" if playbook.enabled else "no",
        )
    console.print(playbooks)


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


def _moments(scenarios: str | None, requests: str | None) -> list[Scenario]:
    moments = load_scenarios(scenarios)
    if scenarios is not None and not moments:
        raise ValueError(f"no scenarios in files matching {scenarios!r}")
    return moments + (load_requests(requests) if requests else [])


async def _preview(
    against: str, current: Path, moments: list[Scenario], config: EvalConfig, progress: Progress
) -> PolicyPreview:
    task = progress.add_task("deciding under both versions", total=2 * len(moments))
    with policy_folder_at(against, current) as before:
        return await preview_policies(
            moments,
            before=before,
            after=PolicyFolder(current, str(current)),
            config=config,
            progress=lambda _: progress.advance(task),
        )


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
) -> None:
    """Decide the eval scenarios under both versions and show every decision that changes, before → after.

    Exits 0 whether or not decisions change; 2 when a folder, revision or file cannot be read.
    """
    current = policy_dir or Settings().policy_dir
    err = Console(stderr=True)
    try:
        moments = _moments(scenarios, requests)
        with Progress(console=err, transient=True) as progress:
            result = asyncio.run(_preview(against, current, moments, config, progress))
    except (NextbestError, OSError, ValueError) as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
    else:
        _print_preview(result, Console())
