"""`nextbest bench ...`: run the benchmarks, print a table, optionally write JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

__all__ = ["bench_app"]

bench_app = typer.Typer(no_args_is_help=True, help="Measure nextbest against baselines run in the same invocation.")

Quick = Annotated[bool, typer.Option("--quick", help="Small sizes: minutes, not tens of minutes")]
Out = Annotated[Path | None, typer.Option("--out", help="Write the results as JSON to this file")]


def _run(names: list[str], quick: bool, out: Path | None) -> None:
    from benchmarks.results import machine_info, render_table, write_json
    from benchmarks.runner import run_figures

    console = Console()
    results = run_figures(names, quick=quick, progress=lambda name: console.print(f"[dim]running {name}…[/dim]"))
    render_table(results, console)
    if out is not None:
        write_json(results, out, machine_info())
        console.print(f"wrote {out}")


@bench_app.command("all")
def all_figures(quick: Quick = False, out: Out = None) -> None:
    """Every figure: HTTP, in-process, LLM overhead, deadline, concurrency, catalog."""
    from benchmarks.runner import FIGURES

    _run(list(FIGURES), quick, out)


@bench_app.command()
def http(quick: Quick = False, out: Out = None) -> None:
    """Rules path over HTTP against a bare FastAPI echo (uvicorn, separate processes)."""
    _run(["http"], quick, out)


@bench_app.command()
def inprocess(quick: Quick = False, out: Out = None) -> None:
    """Rules path in-process: Decider.decide and the rules engine alone."""
    _run(["inprocess"], quick, out)


@bench_app.command()
def llm(quick: Quick = False, out: Out = None) -> None:
    """LLM path on the fake server: overhead, calls and tokens against LangGraph's ReAct agent."""
    _run(["llm"], quick, out)


@bench_app.command()
def deadline(quick: Quick = False, out: Out = None) -> None:
    """A hanging model: answers within deadline + 25 ms."""
    _run(["deadline"], quick, out)


@bench_app.command()
def concurrency(quick: Quick = False, out: Out = None) -> None:
    """1,000 decisions in flight against a 1 s model."""
    _run(["concurrency"], quick, out)


@bench_app.command()
def catalog(quick: Quick = False, out: Out = None) -> None:
    """Catalog indexing and filtered retrieval in Chroma, per embedding function."""
    _run(["catalog"], quick, out)
