"""What a benchmark run reports: typed results, the machine they ran on, a table for people, JSON for tools."""

from __future__ import annotations

import json
import math
import os
import platform
import sys
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

__all__ = ["Result", "machine_info", "render_table", "report", "write_json"]

_PACKAGES = ("nextbest", "langgraph", "langchain-openai", "fastapi", "uvicorn", "chromadb", "openai", "pydantic")


@dataclass
class Result:
    """One figure: `value` against a `baseline` measured in the same invocation, and a target if there is one.

    `ratio` is value / baseline. `met` is None when there is no target. `extra` holds min/median/p99 over
    runs and anything else that explains the figure.
    """

    name: str
    value: float
    unit: str
    baseline: float | None = None
    ratio: float | None = None
    target: str | None = None
    met: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        name: str,
        value: float,
        unit: str,
        *,
        baseline: float | None = None,
        target: str | None = None,
        met: bool | None = None,
        extra: dict[str, Any] | None = None,
    ) -> Result:
        ratio = value / baseline if baseline else None
        return cls(name, value, unit, baseline, ratio, target, met, dict(extra or {}))

    @classmethod
    def skip(cls, figure: str, reason: str) -> Result:
        """A figure not measured here (e.g. its extra is missing): no value, and the reason in `skipped`."""
        return cls(f"{figure}.skipped", math.nan, "", extra={"skipped": reason})

    @classmethod
    def fail(cls, figure: str, error: str) -> Result:
        """A figure that raised: no value, and the error in `failed`."""
        return cls(f"{figure}.failed", math.nan, "", extra={"failed": error})

    @property
    def note(self) -> str | None:
        """Why this figure has no value, when it was skipped or failed."""
        reason = self.extra.get("skipped") or self.extra.get("failed")
        return str(reason) if reason else None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def machine_info() -> dict[str, Any]:
    """CPU, cores, memory, OS, Python and the versions of the packages on the measured path."""
    memory_gib = None
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory_gib = round(pages / 2**30, 1)
    except (ValueError, OSError):
        pass
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": memory_gib,
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "versions": {name: _version(name) for name in _PACKAGES},
    }


def _clean(value: Any) -> Any:
    """JSON has no NaN: missing numbers become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(item) for item in value]
    return value


def report(results: list[Result], machine: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON document: {"machine": {...}, "results": [...]}."""
    rows = []
    for result in results:
        row = asdict(result)
        extra = row.pop("extra")
        rows.append(_clean({**row, **extra}))
    return {"machine": machine or machine_info(), "results": rows}


def write_json(results: list[Result], path: Path, machine: dict[str, Any] | None = None) -> None:
    path.write_text(json.dumps(report(results, machine), indent=2) + "\n", encoding="utf-8")


def _number(value: float | None) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    return f"{value:,.3g}" if abs(value) < 100 else f"{value:,.0f}"


def render_table(results: list[Result], console: Console, *, title: str = "nextbest benchmarks") -> None:
    table = Table(title=title)
    for column in ("figure", "value", "unit", "baseline", "ratio", "target", "met"):
        table.add_column(
            column, justify="left" if column in ("figure", "unit", "target") else "right", no_wrap=column == "figure"
        )
    for result in results:
        met = "-" if result.met is None else ("[green]yes[/green]" if result.met else "[red]no[/red]")
        table.add_row(
            result.name,
            _number(result.value),
            result.unit,
            _number(result.baseline),
            _number(result.ratio),
            result.target or "",
            met,
        )
    console.print(table)
