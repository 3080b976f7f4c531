"""How `nextbest policy lint|show` print: tables for a terminal, `path:line: key: message` lines for a pipe.

The line form is ruff's and mypy's, so editors and CI annotate it. `--json` is the third form, for tools.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel, Field
from rich.table import Table
from rich.text import Text

from agent.policies import PolicySet
from nextbest.policy import Finding, LintReport, Severity

from ._output import shown_path

__all__ = [
    "PlaybookRow",
    "PolicyShow",
    "findings_table",
    "lint_lines",
    "lint_summary",
    "policy_show",
    "show_lines",
    "show_tables",
    "tokens_table",
]


class PlaybookRow(BaseModel):
    """One playbook as `policy show` lists it, in the order playbooks are tried."""

    id: str
    file: str
    priority: int
    title: str
    events: list[str]
    action: str
    channels: list[str]
    offer_pools: list[str]
    enabled: bool


class PolicyShow(BaseModel):
    """What `nextbest policy show --json` prints."""

    version: str
    root: str
    files: dict[str, int] = Field(description="File (relative to root) → its number of lines")
    playbooks: list[PlaybookRow] = Field(description="Highest priority first")


def policy_show(policies: PolicySet) -> PolicyShow:
    return PolicyShow(
        version=policies.version,
        root=str(policies.root),
        files={name: text.count("\n") + 1 for name, text in sorted(policies.files.items())},
        playbooks=[
            PlaybookRow(
                id=playbook.id,
                file=playbook.source,
                priority=playbook.priority,
                title=playbook.title,
                events=list(playbook.trigger.event_types),
                action=playbook.action.value,
                channels=[channel.value for channel in playbook.channels],
                offer_pools=[pool if isinstance(pool, str) else pool.label() for pool in playbook.offer_pools],
                enabled=playbook.enabled,
            )
            for playbook in policies.playbooks
        ],
    )


def _where(finding: Finding, root: Path) -> str:
    path = Path(finding.file)
    shown = str(path.relative_to(root)) if path.is_relative_to(root) else finding.file
    return f"{shown}:{finding.line}" if finding.line is not None else shown


def findings_table(report: LintReport, root: Path) -> Table:
    table = Table(title="Findings", title_justify="left")
    for column in ("", "where", "key", "message"):
        table.add_column(column, overflow="fold")
    for finding in report.findings:
        mark = Text("error", style="red") if finding.severity is Severity.ERROR else Text("warning", style="yellow")
        # Text, not markup: a message may hold brackets, e.g. pydantic's [type=...]
        table.add_row(mark, Text(_where(finding, root)), Text(finding.key or ""), Text(finding.message))
    return table


def tokens_table(report: LintReport) -> Table:
    table = Table(title=f"Sample prompt size (budget {report.token_budget} tokens)", title_justify="left")
    table.add_column("playbook")
    table.add_column("tokens", justify="right")
    table.add_column("of budget", justify="right")
    for playbook_id, tokens in sorted(report.tokens.items()):
        share = tokens / report.token_budget
        style = "red" if tokens > report.token_budget else ""
        table.add_row(Text(playbook_id), Text(str(tokens), style=style), f"{share:.0%}")
    return table


def lint_summary(report: LintReport) -> str:
    summary = f"{len(report.errors)} error(s), {len(report.warnings)} warning(s)"
    return f"ok: {summary}, version {report.version}" if report.ok else summary


def lint_lines(report: LintReport) -> Iterator[str]:
    """One finding a line, `path:line: key: message` (warnings end in `(warning)`), then sizes and a summary."""
    for finding in report.findings:
        line = (finding.model_copy(update={"file": shown_path(finding.file)}) if finding.file else finding).text()
        yield line + (" (warning)" if finding.severity is Severity.WARNING else "")
    for playbook_id, tokens in sorted(report.tokens.items()):
        yield f"tokens: {playbook_id}: {tokens} of {report.token_budget} ({tokens / report.token_budget:.0%})"
    yield lint_summary(report)


def show_tables(shown: PolicyShow) -> tuple[Table, Table]:
    files = Table(title="Files", title_justify="left")
    files.add_column("file")
    files.add_column("lines", justify="right")
    for name, lines in shown.files.items():
        files.add_row(Text(name), str(lines))
    playbooks = Table(title="Playbooks (highest priority first)", title_justify="left")
    for column in ("priority", "id", "title", "events", "action", "channels", "offer pools", "enabled"):
        playbooks.add_column(column, overflow="fold")
    for row in shown.playbooks:
        cells = (row.id, row.title, ", ".join(row.events), row.action, ", ".join(row.channels))
        playbooks.add_row(
            str(row.priority),
            *(Text(cell) for cell in cells),
            Text(", ".join(row.offer_pools) or "-"),
            "yes" if row.enabled else "no",
        )
    return files, playbooks


def show_lines(shown: PolicyShow) -> Iterator[str]:
    """`path:1: file: N lines` per file, `path:1: playbook-id: ...` per playbook in the order they are tried."""
    yield f"policy version {shown.version} from {shown_path(shown.root)}"
    for name, lines in shown.files.items():
        yield f"{shown_path(Path(shown.root) / name)}:1: file: {lines} lines"
    for row in shown.playbooks:
        yield (
            f"{shown_path(row.file)}:1: {row.id}: priority {row.priority}; events {', '.join(row.events)}; "
            f"action {row.action}; channels {', '.join(row.channels) or '-'}; "
            f"offer pools {', '.join(row.offer_pools) or '-'}; {'enabled' if row.enabled else 'disabled'}"
        )
