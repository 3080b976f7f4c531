"""`nextbest policy lint|show`: check the marketer-editable policy folder before it ships, and inspect it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from nextbest.errors import NextbestError, PolicyError
from nextbest.policy import Finding, LintReport, Severity, lint_policy_dir, load_policy_set
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
    report = lint_policy_dir(root, world=_load_world(err), token_budget=budget or settings.prompt_token_budget)
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
